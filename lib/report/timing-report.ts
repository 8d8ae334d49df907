/** The report's paired timing (Table 2 section), from results/timing.json (`fer time`). */
import type { MedianCI, PairedTimingResult } from '../eval/paired-timing';
import { type Block, p, table } from './blocks';
import { MODEL_LABEL } from './paper-figures';
import type { Row } from './tables';

const ci3 = (c: MedianCI): string => `[${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}]`;
const mflops = (f: number | null): string => (f === null ? '—' : `${(f / 1e6).toFixed(1)} M`);

/** Rows of the paired timing table: one per framework and batch size. */
export function pairedTimingRows(t: PairedTimingResult): Row[] {
  const rows: Row[] = [];
  for (const x of [t.tfjs, t.torch]) {
    if ('unavailable' in x) continue;
    for (const b of x.batches)
      rows.push({
        framework:
          x.framework === 'tfjs' ? `tfjs ${x.version} (${x.backend})` : `PyTorch ${x.version}`,
        threads: x.threads,
        batch: b.batchSize,
        [`${MODEL_LABEL.cnn} ms/image`]: b.a.estimate,
        [`${MODEL_LABEL.cnn} 95 % CI`]: ci3(b.a),
        [`${MODEL_LABEL['cnn-lstm']} ms/image`]: b.b.estimate,
        [`${MODEL_LABEL['cnn-lstm']} 95 % CI`]: ci3(b.b),
        'speed-up (CNN / hybrid)': b.ratio.estimate,
        'speed-up 95 % CI': ci3(b.ratio),
      });
  }
  return rows;
}

/** The paragraph on how it was measured, and the table. */
export function pairedTimingBlocks(t: PairedTimingResult): Block[] {
  const [a, b] = t.models;
  const m = t.machine;
  const torch =
    'unavailable' in t.torch
      ? ` No PyTorch reference: ${t.torch.unavailable}.`
      : ' PyTorch runs the same two architectures (random weights, inference mode) with the same protocol and threads, as a framework reference.';
  return [
    p(
      `**Paired timing** (\`fer time\`, \`results/timing.json\`). ${t.protocol.order.charAt(0).toUpperCase()}${t.protocol.order.slice(1)}; ${t.protocol.warmup} warm-up calls and ${t.protocol.rounds} rounds per batch size. ` +
        `Medians with distribution-free 95 % CIs (order statistics); the speed-up is the median of the per-round ratios CNN time / hybrid time. ` +
        `${m.cpuModel}, ${m.cores} cores, Node ${m.nodeVersion}, ${t.threadSetting.threads} threads (${t.threadSetting.source}), load average ${m.loadAverage.before[0].toFixed(2)} before and ${m.loadAverage.after[0].toFixed(2)} after. ` +
        `FLOPs per image: ${MODEL_LABEL.cnn} ${mflops(a.flopsPerImage)}, ${MODEL_LABEL['cnn-lstm']} ${mflops(b.flopsPerImage)}` +
        (t.flopRatio === null
          ? '.'
          : `, a ratio of ${t.flopRatio.toFixed(2)}×: the speed-up the hybrid could reach where both run compute-bound at the same efficiency.`) +
        torch,
    ),
    table(pairedTimingRows(t), { digits: 3 }, 'Paired timing'),
  ];
}
