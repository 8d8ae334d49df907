/**
 * How much of a checkpoint's validation accuracy BatchNorm's moving statistics cost.
 *
 *   FER2013_CSV=… npx tsx scripts/bn-diagnostic.ts models/cnn-lstm.checkpoint
 *
 * For the checkpoint's current and best weights it prints the validation accuracy (the same
 * 2,871 held-out training images that early stopping watches) three times: with the moving mean
 * and variance, as Keras and `fer train` evaluate; with each batch of 64 normalised by its own
 * statistics (dropout off); and with the moving statistics re-estimated over 4,000 training
 * images (`recalibrateBatchNorm`, lib/eval/bn-recalibrate.ts). A large gap between the first
 * and the others means the weights are better than the logged val_accuracy says: the moving
 * averages (momentum 0.99) lag the weights, or carry the larger variance that dropout adds in
 * training. Copy the checkpoint folder first while a training is writing it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../lib/backend';
import { loadFer2013 } from '../lib/data';
import { imagesToTensor } from '../lib/data/tensor';
import { recalibrateBatchNorm } from '../lib/eval/bn-recalibrate';
import { buildModel } from '../lib/models';
import { evaluateLoss, loadCheckpoint, trainValRows } from '../lib/train';

async function main(dir: string): Promise<void> {
  await setupBackend('auto');
  const ck = loadCheckpoint(dir, { recover: false });
  const cfg = ck.state.config;
  const ds = await loadFer2013({ csv: process.env.FER2013_CSV });
  const { train, val } = trainValRows(ds, cfg);
  // An even spread of about 4,000 training images for the re-estimate.
  const step = Math.max(1, Math.floor(train.length / 4000));
  const calibration = train.filter((_, i) => i % step === 0);
  const at = ck.state.partial
    ? `epoch ${ck.state.partial.epoch}, batch ${ck.state.partial.batch}/${ck.state.partial.batches}`
    : `end of epoch ${ck.state.epoch}`;
  const sets: [string, tf.Tensor[] | null][] = [
    [`current (${at})`, ck.weights],
    [`best (end of epoch ${ck.state.best?.epoch ?? '?'})`, ck.best],
  ];
  for (const [name, weights] of sets) {
    if (!weights) continue;
    const m = buildModel(cfg.model, { widthMultiplier: cfg.widthMultiplier, dropout: 0, seed: 1 });
    m.setWeights(weights);
    const moving = evaluateLoss(m, ds, val);
    let correct = 0;
    for (let s = 0; s < val.length; s += 64) {
      const rows = val.subarray(s, Math.min(s + 64, val.length));
      const batchStats = tf.tidy(() => {
        const x = imagesToTensor(ds, rows);
        return (m.apply(x, { training: true }) as tf.Tensor).argMax(-1);
      });
      const pred = batchStats.dataSync();
      batchStats.dispose();
      for (let k = 0; k < rows.length; k++) if (pred[k] === ds.labels[rows[k]]) correct++;
    }
    recalibrateBatchNorm(m, ds, calibration);
    const recalibrated = evaluateLoss(m, ds, val);
    console.log(
      `${cfg.model} ${name}: val accuracy ${moving.accuracy.toFixed(4)} with moving statistics ` +
        `(val loss ${moving.loss.toFixed(4)}), ${(correct / val.length).toFixed(4)} with batch statistics, ` +
        `${recalibrated.accuracy.toFixed(4)} re-estimated on ${calibration.length} training images ` +
        `(val loss ${recalibrated.loss.toFixed(4)})`,
    );
    m.dispose();
  }
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npx tsx scripts/bn-diagnostic.ts <checkpoint folder>');
  process.exit(2);
}
main(dir).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
