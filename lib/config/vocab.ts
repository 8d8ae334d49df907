/**
 * The words every layer of the study shares, defined once at the bottom of the import graph:
 * profile (scale) names and the configs folder. Class names and image size live in
 * lib/data/classes.ts, the paper's noise levels in lib/data/noise.ts.
 */

/** The two scales a study config can run at: CI-sized models, or the paper's full setup. */
export const PROFILE_NAMES = ['quick', 'paper'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
