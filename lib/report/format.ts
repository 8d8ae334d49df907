/**
 * Number formats shared by the report's prose and tables, so that a p-value or a CI reads the
 * same in every section.
 */
import { f3 } from '../util/format';

export { f2, f3, pct, pval, signed } from '../util/format';
/** A 95 % CI as [lo, hi], or a dash when there is none. */
export const ci = (c: { lo: number; hi: number } | null | undefined): string =>
  c ? `[${f3(c.lo)}, ${f3(c.hi)}]` : '—';
