/**
 * Every model design the study can build, train and evaluate by name. Adding a design is one
 * entry in DESIGNS (its builder, label, diagram and source); `DesignName`, `DESIGN_NAMES`,
 * `buildModel` and `fer train --model` follow from it. docs/designs.md describes each one.
 */
import type * as tf from '@tensorflow/tfjs';
import { FerError } from '../util/errors';
import { buildCnn } from './cnn';
import { buildCnnLstm } from './cnn-lstm';
import { buildCnnBiLstm, buildCnnDenseControl, buildCnnLstmSeq1, buildCnnLstmSpatial } from './hybrids';
import type { ModelOptions } from './options';

/** The paper's two models. */
export type PaperModel = 'cnn' | 'cnn-lstm';

export interface DesignSpec {
  build: (opts?: ModelOptions) => tf.LayersModel;
  /** Short label for tables and figures. */
  label: string;
  /** 'paper': one of the paper's two models; 'hybrid': another CNN+LSTM; 'control': no recurrence. */
  role: 'paper' | 'hybrid' | 'control';
  /** The paper model whose published numbers `fer eval` prints beside this design's. */
  paper: PaperModel;
  /** One line: the layers, input to output, at full width. */
  diagram: string;
  /** Where the design comes from (a verified reference, or "ours"). */
  source: string;
}

export const DESIGNS = {
  cnn: {
    build: buildCnn,
    label: 'CNN',
    role: 'paper',
    paper: 'cnn',
    diagram:
      '4 x [conv-BN-ReLU-pool-dropout] (64/3x3, 128/5x5, 512/3x3, 512/3x3) -> Flatten 4608 -> Dense 256 -> Dense 512 -> softmax 7',
    source: "the paper's CNN, identified as the widely copied FER2013 Keras notebook CNN (Table 2 count matched exactly)",
  },
  'cnn-lstm': {
    build: buildCnnLstm,
    label: 'CNN+LSTM',
    role: 'paper',
    paper: 'cnn-lstm',
    diagram:
      'conv blocks 1-3 -> 6x6x512 -> Reshape 6 rows x 3072 -> LSTM 160 (sequence) -> LSTM 160 (last state) -> Dense 256 -> softmax 7',
    source:
      'ours (the paper does not define its hybrid); rows of a conv map as a sequence is the map-to-sequence step of CRNN (Shi, Bai & Yao, TPAMI 2017, arXiv:1507.05717)',
  },
  'cnn-lstm-spatial': {
    build: buildCnnLstmSpatial,
    label: 'CNN+LSTM (36 positions)',
    role: 'hybrid',
    paper: 'cnn-lstm',
    diagram:
      'conv blocks 1-3 -> 6x6x512 -> Reshape 36 positions x 512 -> LSTM 160 (sequence) -> LSTM 160 (last state) -> Dense 256 -> softmax 7',
    source:
      'an RNN over the regions of a CNN feature map: C-RNN (Zuo et al., "Convolutional recurrent neural networks: Learning spatial dependencies for image representation", CVPR Workshops 2015)',
  },
  'cnn-lstm-seq1': {
    build: buildCnnLstmSeq1,
    label: 'CNN+LSTM (1 step)',
    role: 'hybrid',
    paper: 'cnn-lstm',
    diagram:
      'conv blocks 1-4 -> 3x3x512 -> Reshape 1 step x 4608 -> LSTM 160 (sequence) -> LSTM 160 (last state) -> Dense 256 -> softmax 7',
    source:
      'a CNN feeding an LSTM, as in LRCN (Donahue et al., CVPR 2015, arXiv:1411.4389), with a single image as a sequence of length 1',
  },
  'cnn-bilstm': {
    build: buildCnnBiLstm,
    label: 'CNN+BiLSTM',
    role: 'hybrid',
    paper: 'cnn-lstm',
    diagram:
      'conv blocks 1-3 -> 6x6x512 -> Reshape 6 rows x 3072 -> BiLSTM 2x160 (sequence) -> BiLSTM 2x160 (last states) -> Dense 256 -> softmax 7',
    source:
      'bidirectional LSTM (Graves & Schmidhuber, Neural Networks 18(5-6), 2005) over conv-map rows, as the deep BiLSTM of CRNN (Shi, Bai & Yao, TPAMI 2017, arXiv:1507.05717)',
  },
  'cnn-dense-control': {
    build: buildCnnDenseControl,
    label: 'CNN+Dense control',
    role: 'control',
    paper: 'cnn-lstm',
    diagram:
      'conv blocks 1-3 -> 6x6x512 -> Reshape 6 rows x 3072 -> Dense 564 per row (ReLU) -> Flatten 3384 -> Dense 160 -> BN -> tanh -> Dense 256 -> softmax 7',
    source: "ours: the CNN+LSTM with its two LSTMs replaced by dense layers of the same parameter count (within 0.05 %)",
  },
} as const satisfies Record<string, DesignSpec>;

export type DesignName = keyof typeof DESIGNS;

/** Every design, in registry order (the paper pair first). */
export const DESIGN_NAMES = Object.keys(DESIGNS) as DesignName[];

/** The paper's two models: the pair that the report, the claims and the web app compare. */
export const PAPER_MODELS = ['cnn', 'cnn-lstm'] as const satisfies readonly PaperModel[] & readonly DesignName[];

/** The paper model a design is compared with: itself for the pair, the CNN+LSTM for the others. */
export function paperCounterpart(name: DesignName): PaperModel {
  return DESIGNS[name].paper;
}

export function isPaperModel(name: string): name is PaperModel {
  return (PAPER_MODELS as readonly string[]).includes(name);
}

/**
 * `name` as one of the paper pair, for code that only handles the pair (report, claims, web
 * app); any other design is a FerError there rather than a silent mix-up.
 */
export function asPaperModel(name: DesignName): PaperModel {
  if (isPaperModel(name)) return name;
  throw new FerError(`'${name}' is not one of the paper's models (${PAPER_MODELS.join(', ')}); this step compares only those`);
}

export function isDesignName(name: string): name is DesignName {
  return Object.prototype.hasOwnProperty.call(DESIGNS, name);
}

/** Checks a user-supplied design name. */
export function parseDesignName(name: string): DesignName {
  if (isDesignName(name)) return name;
  throw new FerError(`unknown model '${name}' (expected one of: ${DESIGN_NAMES.join(', ')})`);
}

/** Builds any design by name, with its seeded initial weights. */
export function buildDesign(name: DesignName, opts: ModelOptions = {}): tf.LayersModel {
  return DESIGNS[parseDesignName(name)].build(opts);
}
