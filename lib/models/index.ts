import type * as tf from '@tensorflow/tfjs';
import { MODEL_NAMES, type ModelName } from '../train/meta';
import { FerError } from '../util/errors';
import { buildCnn } from './cnn';
import { buildCnnLstm } from './cnn-lstm';
import type { ModelOptions } from './options';

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

/** Checks a user-supplied model name. */
export function parseModelName(name: string): ModelName {
  if ((MODEL_NAMES as readonly string[]).includes(name)) return name as ModelName;
  throw new FerError(`unknown model '${name}' (expected one of: ${MODEL_NAMES.join(', ')})`);
}

/** Builds 'cnn' or 'cnn-lstm'. */
export function buildModel(name: ModelName, opts: ModelOptions = {}): tf.LayersModel {
  switch (parseModelName(name)) {
    case 'cnn':
      return buildCnn(opts);
    case 'cnn-lstm':
      return buildCnnLstm(opts);
  }
}
export { enumerateHybrids, type HybridVariant } from './hybrid-search';
