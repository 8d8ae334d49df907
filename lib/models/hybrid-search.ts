/**
 * The enumeration behind the hybrid's design: natural CNN+LSTM variants built from the paper
 * CNN's parts, with their parameter counts in closed form (Keras conventions: BN counts 4 per
 * channel, LSTM 4·(u·(in+u)+u)). No variant hits Table 2's 3,121,287 exactly.
 */
import { CNN_CONV_BLOCKS } from './cnn';

export interface HybridVariant {
  convBlocks: number;
  /** 'rows': H steps of W·C features; 'positions': H·W steps of C features. */
  sequence: 'rows' | 'positions';
  units: [number] | [number, number];
  bidirectional: boolean;
  /** 'cnn': Dense 256 + Dense 512 (each with BN); 'dense256': Dense 256 + BN; 'none'. */
  head: 'cnn' | 'dense256' | 'none';
  params: number;
  description: string;
}

const conv = (k: number, cin: number, cout: number): number => k * k * cin * cout + cout;
const bn = (c: number): number => 4 * c;
const lstm = (inp: number, u: number): number => 4 * (u * (inp + u) + u);
const dense = (i: number, o: number): number => i * o + o;

export const SEARCH_UNITS = [32, 64, 96, 128, 160, 192, 256, 320, 384, 512];

/** Every variant: 2–4 conv blocks × rows/positions × 1–2 LSTMs × uni/bi × 3 heads. */
export function enumerateHybrids(): HybridVariant[] {
  const out: HybridVariant[] = [];
  let front = 0;
  let cin = 1;
  let hw = 48;
  CNN_CONV_BLOCKS.forEach(([cout, k], b) => {
    front += conv(k, cin, cout) + bn(cout);
    cin = cout;
    hw /= 2;
    if (b < 1) return;
    for (const sequence of ['rows', 'positions'] as const) {
      const [steps, feat] = sequence === 'rows' ? [hw, hw * cin] : [hw * hw, cin];
      for (const u1 of SEARCH_UNITS)
        for (const u2 of [0, ...SEARCH_UNITS])
          for (const bidirectional of [false, true])
            for (const head of ['cnn', 'dense256', 'none'] as const) {
              const m = bidirectional ? 2 : 1;
              let p = front + m * lstm(feat, u1);
              let last = m * u1;
              if (u2) {
                p += m * lstm(m * u1, u2);
                last = m * u2;
              }
              if (head === 'cnn') p += dense(last, 256) + bn(256) + dense(256, 512) + bn(512) + dense(512, 7);
              else if (head === 'dense256') p += dense(last, 256) + bn(256) + dense(256, 7);
              else p += dense(last, 7);
              const bi = bidirectional ? 'Bi' : '';
              out.push({
                convBlocks: b + 1,
                sequence,
                units: u2 ? [u1, u2] : [u1],
                bidirectional,
                head,
                params: p,
                description:
                  `${b + 1} conv blocks, ${steps} ${sequence} x ${feat}, ${bi}LSTM ${u1}` +
                  (u2 ? ` + ${bi}LSTM ${u2}` : '') +
                  `, head ${head}`,
              });
            }
    }
  });
  return out;
}
