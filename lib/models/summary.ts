import * as tf from '@tensorflow/tfjs';
import { PAPER_CNN_PARAMS } from './cnn';
import { PAPER_CNN_LSTM_PARAMS } from './cnn-lstm';

/** One row of the summary table. */
export interface LayerInfo {
  name: string;
  className: string;
  /** Output shape without the batch dimension, e.g. [24, 24, 64]. */
  outputShape: number[];
  params: number;
  flops: number;
}

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

const sizeOf = (ws: tf.LayerVariable[]): number =>
  ws.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);

/** Total, trainable and non-trainable (BatchNorm moving statistics) parameter counts, as Keras. */
export function paramCounts(model: tf.LayersModel): ParamCounts {
  const trainable = sizeOf(model.trainableWeights);
  const nonTrainable = sizeOf(model.nonTrainableWeights);
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}

function shapeOf(s: tf.Shape | tf.Shape[]): number[] {
  const one = (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;
  return one.slice(1).map((d) => d ?? -1);
}

const lstmFlops = (steps: number, features: number, units: number): number =>
  2 * steps * 4 * units * (features + units);

/**
 * FLOPs of one layer for one image, counting a multiply-add as 2 and only the layers that
 * dominate the cost (conv, dense, LSTM); BN, pooling and activations are ignored, as usual.
 *   Conv2D: 2 · H_out · W_out · C_out · (k_h · k_w · C_in)
 *   Dense:  2 · in · out (times the sequence length on 3-D input)
 *   LSTM:   2 · T · 4 · units · (in + units)
 *   Bidirectional(LSTM): twice the LSTM's
 */
export function layerFlops(layer: tf.layers.Layer): number {
  const cls = layer.getClassName();
  const inShape = shapeOf((layer.input as tf.SymbolicTensor).shape);
  const outShape = shapeOf(layer.outputShape);
  const cfg = layer.getConfig();
  if (cls === 'Conv2D') {
    const k = cfg.kernelSize as number[];
    const cin = inShape[inShape.length - 1];
    return 2 * outShape[0] * outShape[1] * outShape[2] * k[0] * k[1] * cin;
  }
  if (cls === 'Dense') {
    const steps = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
    return 2 * steps * inShape[inShape.length - 1] * (cfg.units as number);
  }
  if (cls === 'LSTM') {
    const [steps, features] = inShape;
    return lstmFlops(steps, features, cfg.units as number);
  }
  if (cls === 'Bidirectional') {
    // Two copies of the wrapped layer, one per direction, on the same input.
    const inner = cfg.layer as { className: string; config: { units: number } };
    const [steps, features] = inShape;
    return inner.className === 'LSTM' ? 2 * lstmFlops(steps, features, inner.config.units) : 0;
  }
  return 0;
}

export function layerInfos(model: tf.LayersModel): LayerInfo[] {
  return model.layers.map((l) => ({
    name: l.name,
    className: l.getClassName(),
    outputShape: shapeOf(l.outputShape),
    params: l.countParams(),
    flops: layerFlops(l),
  }));
}

/** FLOPs (2 × multiply-adds in conv, dense and LSTM layers) for one forward pass of one image. */
export function flopsPerImage(model: tf.LayersModel): number {
  return model.layers.reduce((n, l) => n + layerFlops(l), 0);
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Table 2's published counts, keyed by the tfjs model name the builders give. */
const PAPER_PARAMS: Record<string, number> = { cnn: PAPER_CNN_PARAMS, cnn_lstm: PAPER_CNN_LSTM_PARAMS };

/** A Keras-style summary table: layer (type), output shape, params; totals; FLOPs per image. */
export function modelSummary(model: tf.LayersModel): string {
  const rows = layerInfos(model).map((l) => [
    `${l.name} (${l.className})`,
    `(None, ${l.outputShape.join(', ')})`,
    fmt(l.params),
  ]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]): string =>
    r[0].padEnd(w[0]) + r[1].padEnd(w[1]) + r[2].padStart(w[2] - 2);
  const width = w[0] + w[1] + w[2] - 2;
  const c = paramCounts(model);
  const out = [
    `Model: "${model.name}"`,
    '_'.repeat(width),
    line(head),
    '='.repeat(width),
    ...rows.flatMap((r, i) => (i === 0 ? [line(r)] : ['_'.repeat(width), line(r)])),
    '='.repeat(width),
    `Total params: ${fmt(c.total)}`,
    `Trainable params: ${fmt(c.trainable)}`,
    `Non-trainable params: ${fmt(c.nonTrainable)}`,
    `FLOPs per image: ${fmt(flopsPerImage(model))} (${(flopsPerImage(model) / 1e6).toFixed(1)} M)`,
  ];
  const paper = PAPER_PARAMS[model.name];
  if (paper !== undefined) {
    const gap = c.total - paper;
    out.push(
      `Paper (Table 2, full width): ${fmt(paper)} params; gap: ${gap >= 0 ? '+' : ''}${fmt(gap)} (${((100 * gap) / paper).toFixed(2)} %)`,
    );
  }
  out.push('_'.repeat(width));
  return out.join('\n');
}
