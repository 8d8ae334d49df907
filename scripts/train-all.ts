/**
 * `npm run train-all -- [--config NAME|FILE] [--only cnn-s2,cnn-lstm-s2] [--dry-run]`
 *
 * Trains every entry of a config's `trainings` list (design × seed), one after the other with
 * every core, and publishes each finished model into models/. Checkpoints stay in runs/
 * (git-ignored): an interrupted training continues from its checkpoint when it is still there,
 * and starts again when it is not. A model already in models/ is skipped.
 *
 *   runs/<config>/<model>-s<seed>             the training's output (model, then checkpoint)
 *   runs/<config>/<model>-s<seed>.checkpoint  its checkpoint (removed when it finishes)
 *   models/<model>-s<seed>/                   the finished model (weights, meta.json, log)
 *
 * The paper config's seed-1 pair is published as models/cnn and models/cnn-lstm, the names
 * the committed study has always used. Ctrl-C stops the training in progress after a
 * checkpoint (exit 130); run the same command again to continue.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flagString, parseArgs } from '../lib/cli/registry';
import type { StudyConfig, TrainingEntry } from '../lib/config';
import { parseModelName } from '../lib/models';
import { REPO_ROOT, portablePath, readConfig } from '../lib/env';
import { FerError } from '../lib/util/errors';
import { publishedModelDir, trainingName } from '../lib/study/trainings';

export { publishedModelDir, trainingName } from '../lib/study/trainings';

export interface TrainingPlan {
  entry: TrainingEntry;
  /** The training's own output folder under runs/<config>/. */
  runOut: string;
  checkpoint: string;
  /** Its published folder under models/. */
  published: string;
  state: 'published' | 'finished' | 'resume' | 'start';
}

export function planTrainings(config: StudyConfig, root = REPO_ROOT): TrainingPlan[] {
  return config.trainings.map((entry) => {
    const runOut = path.join(root, 'runs', config.name, trainingName(entry));
    const checkpoint = `${runOut}.checkpoint`;
    const published = path.join(root, publishedModelDir(config, entry));
    const state = fs.existsSync(path.join(published, 'meta.json'))
      ? 'published'
      : fs.existsSync(path.join(runOut, 'meta.json')) && !fs.existsSync(checkpoint)
        ? 'finished'
        : fs.existsSync(path.join(checkpoint, 'state.json'))
          ? 'resume'
          : 'start';
    return { entry, runOut, checkpoint, published, state };
  });
}

/** Copies a finished training's model files (never its checkpoint) into models/. */
export function publishModel(runOut: string, published: string): void {
  const tmp = `${published}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  for (const f of fs.readdirSync(runOut)) {
    if (f.startsWith('.')) continue;
    fs.copyFileSync(path.join(runOut, f), path.join(tmp, f));
  }
  fs.mkdirSync(path.dirname(published), { recursive: true });
  fs.renameSync(tmp, published);
}

function main(argv: string[]): number {
  const args = parseArgs(argv, { values: ['config', 'only'], booleans: ['dry-run'] });
  const config = readConfig({
    FER_CONFIG: flagString(args, 'config') ?? process.env.FER_CONFIG,
    FER_PROFILE: process.env.FER_PROFILE ?? 'paper',
  });
  const only = flagString(args, 'only')
    ?.split(',')
    .map((s) => s.trim());
  for (const t of config.trainings) parseModelName(t.model); // a typo fails before any work
  let plans = planTrainings(config);
  if (only) {
    const unknown = only.filter((o) => !plans.some((p) => trainingName(p.entry) === o));
    if (unknown.length)
      throw new FerError(`--only: ${unknown.join(', ')} not in ${config.name}'s trainings`);
    plans = plans.filter((p) => only.includes(trainingName(p.entry)));
  }
  for (const p of plans)
    console.log(`train-all: ${trainingName(p.entry)}: ${p.state} (${portablePath(p.published)})`);
  if (args.flags.has('dry-run')) return 0;
  for (const p of plans) {
    const name = trainingName(p.entry);
    if (p.state === 'published') continue;
    if (p.state !== 'finished') {
      console.log(
        `train-all: ${name}: ${p.state === 'resume' ? 'continuing' : 'starting'} in ${portablePath(p.runOut)}`,
      );
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(REPO_ROOT, 'lib', 'cli', 'index.ts'),
          'train',
          '--model',
          p.entry.model,
          '--config',
          config.file,
          '--seed',
          String(p.entry.seed),
          '--out',
          p.runOut,
          '--checkpoint-dir',
          p.checkpoint,
          '--log-every',
          '40',
          ...(p.state === 'resume' ? ['--resume'] : []),
        ],
        { stdio: 'inherit', cwd: REPO_ROOT },
      );
      if (r.status !== 0) {
        console.error(
          `train-all: ${name} stopped (exit ${r.status ?? r.signal}); run the same command to continue`,
        );
        return r.status ?? 1;
      }
    }
    publishModel(p.runOut, p.published);
    console.log(`train-all: ${name}: published as ${portablePath(p.published)}`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    if (e instanceof FerError) {
      console.error(`train-all: ${e.format()}`);
      process.exit(1);
    }
    throw e;
  }
}
