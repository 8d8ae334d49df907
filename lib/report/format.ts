/**
 * Number formats shared by the report's prose and tables, so that a p-value or a CI reads the
 * same in every section.
 */
export const f2 = (x: number): string => x.toFixed(2);
export const f3 = (x: number): string => x.toFixed(3);
/** A difference, with its sign: +0.012 / -0.034. */
export const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(3);
/** A noise level as a percentage: 0.005 -> "0.5 %". */
export const pct = (l: number): string => `${+(l * 100).toFixed(1)} %`;
/** A p-value: 4 decimals, or scientific below 1e-4. */
export const pval = (x: number): string => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4));
/** A 95 % CI as [lo, hi], or a dash when there is none. */
export const ci = (c: { lo: number; hi: number } | null | undefined): string =>
  c ? `[${f3(c.lo)}, ${f3(c.hi)}]` : '—';
