/** Seeded, resumable training and the study-model format. */
export {
  PROFILES,
  PROFILE_NAMES,
  type ProfileName,
  type ProfileValues,
  type TrainConfig,
  resolveTrainConfig,
  parseProfileName,
  parseSplitName,
  defaultOut,
} from './config';
export { noiseAugmentedImages } from './augment';
export {
  train,
  evaluateLoss,
  trainValRows,
  TrainingInterrupted,
  DEFAULT_CHECKPOINT_MINUTES,
  type TrainOptions,
  type TrainResult,
} from './train';
export {
  saveStudyModel,
  loadStudyModel,
  dirSaveHandler,
  dirLoadHandler,
  gitCommit,
} from '../models/io';
export { type EpochLog, type PartialEpoch, type TrainState, loadCheckpoint } from './checkpoint';
export { type StudyModelMeta, type InterimInfo, type ModelName, MODEL_NAMES } from '../models/meta';
export { isCheckpointDir, loadCheckpointModel, loadStudyModelOrCheckpoint } from './interim';
