/**
 * "What we found" paragraphs for notebooks 02–06, written from the results so that no number
 * in the notebooks' prose is typed by hand. Each function returns Markdown.
 */
import { EMOTIONS } from '../data/classes';
import type { Averaging, CompareResult, EvalResult, McNemarResult } from '../eval/types';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { EpochLog } from '../train/checkpoint';
import type { ModelName, StudyModelMeta } from '../models/meta';
import { MODEL_LABEL, type ResultsByModel } from './paper-figures';
import { f3, pct, pval } from './format';
import { asPaperModel } from '../models/designs';

const signed = (x: number) => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(3);
const mins = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);

/** A model whose predictions are nearly all one class has learned little or nothing. */
export const COLLAPSE_SHARE = 0.9;

/** Training: epochs run, the kept epoch against the majority-class baseline, overfitting. */
export function trainingFindings(
  meta: StudyModelMeta,
  history: EpochLog[],
  baseline: number,
): string {
  const label = MODEL_LABEL[asPaperModel(meta.architecture)];
  const best = history.find((h) => h.epoch === meta.bestEpoch) ?? history[history.length - 1];
  const last = history[history.length - 1];
  const out: string[] = [];
  const stopped = meta.config.stoppedEarly === true && meta.epochsRun < Number(meta.config.epochs);
  out.push(
    `The ${label} (${meta.params.toLocaleString('en-US')} parameters, width ×${meta.widthMultiplier}, ${meta.profile} profile) ran ${meta.epochsRun} epoch${meta.epochsRun === 1 ? '' : 's'}` +
      `${stopped ? ' and stopped early' : ''} in ${mins(meta.wallSeconds)} on ${meta.backend}` +
      `${typeof meta.config.trainImages === 'number' ? `, on ${meta.config.trainImages.toLocaleString('en-US')} training and ${Number(meta.config.valImages).toLocaleString('en-US')} validation images` : ''}.`,
  );
  if (best) {
    const margin = best.val_accuracy - baseline;
    out.push(
      `The weights kept are those of epoch ${meta.bestEpoch} (lowest validation loss, ${best.val_loss.toFixed(3)}): validation accuracy ${f3(best.val_accuracy)}, against ${f3(baseline)} for always answering the most common class` +
        (margin > 0.05
          ? ` — the model has learned something beyond the class balance (${signed(margin)}).`
          : margin > 0.01
            ? ` — only a little above it (${signed(margin)}): the model has learned little.`
            : ` — **not above it** (${signed(margin)}): the model has not learned to tell the emotions apart.`),
    );
  }
  if (last && history.length > 1) {
    const gap = last.accuracy - last.val_accuracy;
    out.push(
      gap > 0.1
        ? `In the last epoch training accuracy (${f3(last.accuracy)}) runs ${f3(gap)} above validation accuracy (${f3(last.val_accuracy)}): the model has started to overfit.`
        : `Training and validation accuracy stay close (last epoch ${f3(last.accuracy)} vs ${f3(last.val_accuracy)}): no sign of overfitting yet.`,
    );
  }
  return out.join(' ');
}

function models(r: ResultsByModel): ModelName[] {
  return (['cnn', 'cnn-lstm'] as const).filter((m) => r[m]);
}

function mcnemarAt(c: CompareResult | null, level: number): McNemarResult[] {
  return c?.levels.find((l) => Math.abs(l.level - level) < 1e-9)?.tests ?? [];
}

/** Whether a model's clean predictions collapse onto one class (and which). */
export function collapse(e: EvalResult): { cls: string; share: number } | null {
  const clean = e.table34.levels.find((l) => l.level === 0);
  if (!clean || clean.topClassShare.mean < COLLAPSE_SHARE) return null;
  return { cls: EMOTIONS[clean.topClass], share: clean.topClassShare.mean };
}

function collapseWarning(r: ResultsByModel): string[] {
  return models(r).flatMap((m) => {
    const c = collapse(r[m] as EvalResult);
    return c
      ? [
          `**Caution: the ${MODEL_LABEL[m]} answers "${c.cls}" for ${(100 * c.share).toFixed(0)} % of the clean test images**, so its scores measure the class balance, not emotion recognition.`,
        ]
      : [];
  });
}

/** Table 1: ours vs the paper, CNN vs hybrid with McNemar, and what the audit says. */
export function table1Findings(
  r: ResultsByModel,
  compare: CompareResult | null,
  def: Averaging,
): string {
  const out: string[] = [...collapseWarning(r)];
  for (const m of models(r)) {
    const e = r[m] as EvalResult;
    const row = e.table1.rows.find((x) => x.averaging === def) ?? e.table1.rows[0];
    const acc = e.table1.rows[0].accuracy;
    const ci = e.table1.rows[0].ci?.accuracy;
    out.push(
      `The ${MODEL_LABEL[m]} reaches accuracy ${f3(acc)}${ci ? ` (95 % CI ${f3(ci.lo)}–${f3(ci.hi)})` : ''} on ${e.table1.n.toLocaleString('en-US')} test images, ${signed(acc - PAPER.table1[m].accuracy)} from the paper's ${PAPER.table1[m].accuracy}; F1 (${def}) ${f3(row.f1)} vs the paper's ${PAPER.table1[m].f1}.`,
    );
  }
  const cnn = r.cnn;
  const lstm = r['cnn-lstm'];
  if (cnn && lstm) {
    const d = cnn.table1.rows[0].accuracy - lstm.table1.rows[0].accuracy;
    const t = mcnemarAt(compare, 0)[0];
    out.push(
      `The CNN is ${d >= 0 ? 'ahead of' : 'behind'} the hybrid by ${f3(Math.abs(d))} accuracy (paper: ahead by 0.020)` +
        (t
          ? `; McNemar's exact test on the same images: ${t.b} images only the CNN gets right, ${t.c} only the hybrid, p = ${pval(t.pValue)}${t.pValue < 0.05 ? ' (significant at 5 %)' : ' (not significant at 5 %)'}.`
          : '.'),
    );
  }
  for (const m of models(r)) {
    const checks = (r[m] as EvalResult).audit.filter((c) => c.table === 'table1');
    const by = checks.map(
      (c) => `${c.id}: ${c.reproducedBy.length ? c.reproducedBy.join(', ') : 'no definition'}`,
    );
    out.push(`Metric audit, ${MODEL_LABEL[m]}: ${by.join('; ')}.`);
  }
  return out.join('\n\n');
}

/** Table 2: parameters, FLOPs and time, as ratios beside the paper's. */
export function table2Findings(r: ResultsByModel): string {
  const cnn = r.cnn?.table2;
  const lstm = r['cnn-lstm']?.table2;
  if (!cnn || !lstm) return 'Table 2 needs timing results for both models.';
  const out = [
    `The hybrid has ${(100 * (1 - lstm.params / cnn.params)).toFixed(0)} % fewer parameters than the CNN (${lstm.params.toLocaleString('en-US')} vs ${cnn.params.toLocaleString('en-US')}; paper ${(100 * (1 - PAPER.table2['cnn-lstm'].params / PAPER.table2.cnn.params)).toFixed(0)} % fewer)` +
      (cnn.flopsPerImage && lstm.flopsPerImage
        ? ` and needs ${(100 * (1 - lstm.flopsPerImage / cnn.flopsPerImage)).toFixed(0)} % fewer FLOPs per image (${(lstm.flopsPerImage / 1e6).toFixed(1)} M vs ${(cnn.flopsPerImage / 1e6).toFixed(1)} M).`
        : '.'),
    `On ${cnn.backend}, one image takes ${cnn.latencyBatch1.medianMs.toFixed(2)} ms (CNN) vs ${lstm.latencyBatch1.medianMs.toFixed(2)} ms (hybrid), median at batch 1: the CNN/hybrid ratio is ${(cnn.latencyBatch1.medianMs / lstm.latencyBatch1.medianMs).toFixed(2)}× (paper ${(PAPER.table2.cnn.msPerImage / PAPER.table2['cnn-lstm'].msPerImage).toFixed(2)}×); in batches of ${cnn.throughput.batchSize} it is ${(cnn.throughput.msPerImage / lstm.throughput.msPerImage).toFixed(2)}×.`,
    "The paper's absolute times (32.66 and 17.45 ms) come from hardware it does not name, so only the ratios compare.",
  ];
  return out.join(' ');
}

/** Tables 3–4: how fast each model degrades, where it collapses, CNN vs hybrid at 30 %. */
export function noiseFindings(
  r: ResultsByModel,
  compare: CompareResult | null,
  def: Exclude<Averaging, 'keras'>,
): string {
  const out: string[] = [...collapseWarning(r)];
  for (const m of models(r)) {
    const e = r[m] as EvalResult;
    const ls = e.table34.levels;
    const clean = ls.find((l) => l.level === 0);
    const top = ls[ls.length - 1];
    if (!clean || !top || top.level === 0) continue;
    const firstDrop = ls.find((l) => l.level > 0 && clean.accuracy.mean - l.accuracy.mean > 0.05);
    const seeds = top.seeds.length;
    out.push(
      `**${MODEL_LABEL[m]}.** Accuracy ${f3(clean.accuracy.mean)} clean, ${f3(top.accuracy.mean)}${top.accuracy.std !== null ? ` ± ${f3(top.accuracy.std)}` : ''} at σ = ${pct(top.level)} (paper ${PAPER.table3[m][0]} → ${PAPER.table3[m][PAPER.table3[m].length - 1]}); ` +
        `F1 (${def}) ${f3(clean.f1[def].mean)} → ${f3(top.f1[def].mean)} (paper ${PAPER.table4[m][0]} → ${PAPER.table4[m][PAPER.table4[m].length - 1]}). ` +
        (firstDrop
          ? `It first loses more than 0.05 accuracy at σ = ${pct(firstDrop.level)}. `
          : 'It never loses more than 0.05 accuracy. ') +
        `At σ = ${pct(top.level)} it answers "${EMOTIONS[top.topClass]}" for ${(100 * top.topClassShare.mean).toFixed(0)} % of the images (mean over ${seeds} noise seed${seeds === 1 ? '' : 's'}).`,
    );
  }
  const cnn = r.cnn;
  const lstm = r['cnn-lstm'];
  if (cnn && lstm) {
    const topLevel = PAPER_NOISE_LEVELS[PAPER_NOISE_LEVELS.length - 1];
    const lc = cnn.table34.levels.find((l) => Math.abs(l.level - topLevel) < 1e-9);
    const ll = lstm.table34.levels.find((l) => Math.abs(l.level - topLevel) < 1e-9);
    const tests = mcnemarAt(compare, topLevel);
    if (lc && ll) {
      const forHybrid = tests.filter((t) => t.pValue < 0.05 && t.c > t.b).length;
      const forCnn = tests.filter((t) => t.pValue < 0.05 && t.b > t.c).length;
      out.push(
        `At 30 % the paper's hybrid has about twice the CNN's F1 (0.11 vs 0.05). Ours: ${f3(ll.f1[def].mean)} vs ${f3(lc.f1[def].mean)}` +
          (tests.length
            ? `; McNemar favours the hybrid significantly for ${forHybrid} and the CNN for ${forCnn} of ${tests.length} noise seeds.`
            : '.'),
      );
    }
    const sig = (compare?.levels ?? [])
      .filter((l) => l.level > 0 && l.significantSeeds === l.tests.length && l.tests.length > 0)
      .map((l) => pct(l.level));
    if (compare)
      out.push(
        sig.length
          ? `The two models differ significantly (p < 0.05 for every noise seed) at σ = ${sig.join(', ')}.`
          : 'At no noise level do the two models differ significantly for every noise seed.',
      );
  }
  return out.join('\n\n');
}

/** Table 5: simple vs complex emotions, with CIs, and the F1-above-accuracy pattern. */
export function groupFindings(r: ResultsByModel, def: 'macro' | 'weighted' | 'micro'): string {
  const out: string[] = [...collapseWarning(r)];
  const ciKey = { macro: 'f1Macro', weighted: 'f1Weighted', micro: 'f1Micro' } as const;
  for (const m of models(r)) {
    const rows = (r[m] as EvalResult).table5.rows;
    const s = rows.find((x) => x.group === 'simple');
    const c = rows.find((x) => x.group === 'complex');
    if (!s || !c) continue;
    const sep = s.ci && c.ci ? s.ci.accuracy.lo > c.ci.accuracy.hi : false;
    const f1AboveAcc = [s, c].filter((g) => g.metrics[def].f1 > g.metrics.accuracy).length;
    out.push(
      `**${MODEL_LABEL[m]}.** Simple emotions ${f3(s.metrics.accuracy)} accuracy (n = ${s.metrics.n}), complex ${f3(c.metrics.accuracy)} (n = ${c.metrics.n}); paper ${PAPER.table5[m].simple.accuracy} vs ${PAPER.table5[m].complex.accuracy}. ` +
        (s.metrics.accuracy > c.metrics.accuracy
          ? sep
            ? 'Simple emotions are recognised better, and the 95 % CIs do not overlap. '
            : 'Simple emotions score higher, but the 95 % CIs overlap. '
          : '**Complex emotions score as high or higher**, unlike the paper. ') +
        `Group F1 (${def}) is ${f3(s.metrics[def].f1)}${s.ci ? ` [${f3(s.ci[ciKey[def]].lo)}, ${f3(s.ci[ciKey[def]].hi)}]` : ''} and ${f3(c.metrics[def].f1)}${c.ci ? ` [${f3(c.ci[ciKey[def]].lo)}, ${f3(c.ci[ciKey[def]].hi)}]` : ''}; ` +
        `F1 is above accuracy in ${f1AboveAcc} of 2 groups (the paper: in both).`,
    );
  }
  return out.join('\n\n');
}
