/** The model designs by name (lib/models/designs.ts), their building blocks, summaries and saved-model I/O. */
import type * as tf from '@tensorflow/tfjs';
import { buildDesign, type DesignName, parseDesignName } from './designs';
import type { ModelOptions } from './options';
import { registerUnpackGradient } from './unpack-grad';

export { buildCnn, PAPER_CNN_PARAMS, CNN_CONV_BLOCKS, CNN_DENSE_UNITS } from './cnn';
export {
  buildCnnLstm,
  PAPER_CNN_LSTM_PARAMS,
  CNN_LSTM_CONV_BLOCKS,
  CNN_LSTM_UNITS,
  CNN_LSTM_DENSE_UNITS,
} from './cnn-lstm';
export { type ModelOptions, type ResolvedModelOptions, DEFAULT_MODEL_OPTIONS, resolveModelOptions } from './options';
export {
  modelSummary,
  flopsPerImage,
  paramCounts,
  layerInfos,
  layerFlops,
  type LayerInfo,
  type ParamCounts,
} from './summary';
export { reseedDropout } from './dropout';

export {
  DESIGNS,
  DESIGN_NAMES,
  PAPER_MODELS,
  type DesignName,
  type DesignSpec,
  type PaperModel,
  isDesignName,
  parseDesignName,
  paperCounterpart,
  asPaperModel,
  isPaperModel,
} from './designs';
export {
  buildCnnLstmSpatial,
  buildCnnLstmSeq1,
  buildCnnBiLstm,
  buildCnnDenseControl,
  controlHiddenUnits,
  lstmParams,
  type SequenceLayout,
} from './hybrids';

/** Checks a user-supplied model name: any design of the registry (DESIGN_NAMES). */
export function parseModelName(name: string): DesignName {
  return parseDesignName(name);
}

/** Builds any design by name ('cnn', 'cnn-lstm', or another entry of DESIGNS). */
export function buildModel(name: DesignName, opts: ModelOptions = {}): tf.LayersModel {
  registerUnpackGradient();
  return buildDesign(name, opts);
}
export { enumerateHybrids, type HybridVariant } from './hybrid-search';
