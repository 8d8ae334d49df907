/**
 * Number formats shared by the terminal tables, the notebooks and the report, so that a p-value,
 * a noise level or a CI reads the same everywhere.
 */
export const f2 = (x: number): string => x.toFixed(2);
export const f3 = (x: number): string => x.toFixed(3);
/** A difference, with its sign: +0.012 / -0.034. */
export const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(3);
/** A noise level as a percentage: 0.005 -> "0.5 %". */
export const pct = (l: number): string => `${+(l * 100).toFixed(1)} %`;
/** A p-value: 4 decimals, or scientific below 1e-4. */
export const pval = (x: number): string => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4));
