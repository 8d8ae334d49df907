/** Readable text tables of robustness and augmentation results, for the terminal. */
import { EMOTIONS } from '../data/classes';
import { textTable } from '../eval/format';
import { pval as pv, signed as sgn } from '../util/format';
import type { AugmentationResult, RobustnessResult } from './run';

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

export function formatRobustness(r: RobustnessResult): string {
  const L: string[] = [];
  const m = r.model.meta;
  const sevs = r.corruptions.severities;
  L.push(
    `model ${r.model.name} (${m.architecture}, ${m.params.toLocaleString('en-US')} params) on ${r.data.nTest} test images of split '${r.data.split}'` +
      `${r.data.limited ? ` (stratified subset of ${r.data.nTestFull})` : ''}, corruption seed ${r.corruptions.seed}, backend ${r.backend}${r.threads === undefined ? '' : ` (${r.threads} thread${r.threads === 1 ? '' : 's'})`}, ${r.seconds.toFixed(0)} s`,
  );
  L.push(
    '',
    `clean: accuracy ${f3(r.run.clean.accuracy)}, weighted F1 ${f3(r.run.clean.weightedF1)}`,
  );
  L.push('', 'accuracy per corruption and severity (mean; relative robustness = mean / clean)');
  L.push(
    textTable(
      ['family', ...sevs.map((s) => `s${s}`), 'mean', 'rel.'],
      r.familyMeans.map((fm) => [
        fm.family,
        ...sevs.map((s) =>
          f3(r.run.cells.find((c) => c.family === fm.family && c.severity === s)?.accuracy ?? NaN),
        ),
        f3(fm.accuracy),
        f3(fm.relativeRobustness),
      ]),
    ),
  );
  const ref = r.reference;
  if (ref) {
    L.push(
      '',
      `against the reference ${ref.name} (clean accuracy ${f3(ref.clean.accuracy)}${ref.reused ? ', its saved run reused' : ''}):` +
        ` mCE ${f3(ref.mCE)}, relative mCE ${f3(ref.relativeMCE)} (below 1: fewer errors / a smaller loss than the reference)`,
    );
    L.push(
      textTable(
        [
          'family',
          'acc (this)',
          'acc (ref)',
          'CE',
          'rel. CE',
          'sign test: this better',
          'ref better',
          'p',
        ],
        ref.families.map((f) => {
          const t = ref.pairedTests.find((x) => x.family === f.family)!;
          const rm = ref.familyMeans.find((x) => x.family === f.family)!;
          return [
            f.family,
            f3(f.meanAccuracy),
            f3(rm.accuracy),
            f3(f.ce),
            f3(f.relativeCe),
            String(t.signTest.aBetter),
            String(t.signTest.bBetter),
            pv(t.signTest.pValue),
          ];
        }),
      ),
    );
    L.push('', 'McNemar per severity (this vs reference): p-values');
    L.push(
      textTable(
        ['family', ...sevs.map((s) => `s${s}`)],
        ref.pairedTests.map((t) => [
          t.family,
          ...sevs.map((s) => {
            const x = t.perSeverity.find((p) => p.severity === s);
            return x ? pv(x.pValue) : '';
          }),
        ]),
      ),
    );
  }
  const fp = r.ferplus;
  if (fp) {
    L.push(
      '',
      `FER+ labels (${fp.nWithFerPlus} of ${fp.nTest} test rows have a FER+ majority label; FER+ and FER2013 agree on ${(fp.labelAgreement * 100).toFixed(1)} % of them)`,
    );
    L.push(
      textTable(
        ['labels', 'rows', 'accuracy', 'weighted F1', 'macro F1'],
        [
          ['FER+ majority', fp.ferplusRows.ferplus],
          ['FER2013 (same rows)', fp.ferplusRows.original],
          ['FER2013 (all test rows)', fp.allRows.original],
        ].map(([name, s]) => {
          const x = s as typeof fp.allRows.original;
          return [name as string, String(x.n), f3(x.accuracy), f3(x.weightedF1), f3(x.macroF1)];
        }),
      ),
    );
    L.push(
      `published (not comparable): ${fp.published.map((p) => `${p.method} ${f3(p.accuracy)} (${p.source})`).join('; ')}`,
    );
    L.push(fp.comparability);
  } else if (r.ferplusSkipped) L.push('', `FER+: skipped (${r.ferplusSkipped})`);
  return L.join('\n');
}

/** FER2013 x FER+ label counts on the test rows, as a text table. */
export function formatLabelConfusion(m: number[][]): string {
  return textTable(
    ['FER2013 \\ FER+', ...EMOTIONS.map((e) => e.slice(0, 5))],
    m.map((row, i) => [EMOTIONS[i], ...row.map(String)]),
  );
}

export function formatAugmentation(r: AugmentationResult): string {
  const L: string[] = [];
  L.push(
    `noise augmentation: ${r.data.nTest} test images${r.data.limited ? ` (stratified subset of ${r.data.nTestFull})` : ''}, ${r.noiseSeeds.length} noise seed(s), backend ${r.backend}, ${r.seconds.toFixed(0)} s`,
  );
  L.push(
    textTable(
      ['model', 'arch', 'train sigma_max', 'params'],
      r.models.map((m) => [
        m.name,
        m.architecture,
        String(m.augmentNoise),
        m.meta.params.toLocaleString('en-US'),
      ]),
    ),
  );
  L.push('', 'accuracy / weighted F1 by test noise level');
  L.push(
    textTable(
      ['noise', ...r.models.map((m) => m.name)],
      r.levels.map((level) => [
        `${+(level * 100).toFixed(2)}%`,
        ...r.models.map((m) => {
          const l = m.table34.levels.find((x) => x.level === level)!;
          return `${f3(l.accuracy.mean)} / ${f3(l.f1.weighted.mean)}`;
        }),
      ]),
    ),
  );
  L.push('', 'hybrid minus CNN (accuracy), and McNemar p (first noise seed)');
  L.push(
    textTable(
      ['noise', 'plain', 'p', 'augmented', 'p', 'aug CNN - plain hybrid'],
      r.gaps.map((g) => {
        const pp = r.paired.plain.find((x) => x.level === g.level)!.tests[0];
        const pa = r.paired.augmented.find((x) => x.level === g.level)!.tests[0];
        return [
          `${+(g.level * 100).toFixed(2)}%`,
          sgn(g.plain.accuracy),
          pv(pp.pValue),
          sgn(g.augmented.accuracy),
          pv(pa.pValue),
          sgn(g.augmentedCnnVsPlainHybrid.accuracy),
        ];
      }),
    ),
  );
  L.push('', r.summary.verdict);
  return L.join('\n');
}
