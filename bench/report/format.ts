// Number and table formatting shared by the benchmark report sections.
import type { CostLine } from '../aws/cost.js';

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const usd = (n: number) =>
  n >= 0.1 ? `$${n.toFixed(3)}` : n >= 0.001 ? `$${n.toFixed(4)}` : `$${n.toFixed(6)}`;
export const kb = (bytes: number) => fmt(bytes / 1024, bytes < 10_240 ? 1 : 0);
export const verdict = (met: boolean) => (met ? '**met**' : '**missed**');

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly string[],
): string {
  const sep = header.map((_, i) => align?.[i] ?? (i === 0 ? '---' : '---:'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

// ---------------------------------------------------------------- derived figures

/** The cost of each system per million events at the headline batch size, by key count. */

export function fraction(a: number, b: number): string {
  return a <= b ? `1/${fmt(b / a, 1)}` : `${fmt(a / b, 1)}×`;
}

export function costLineText(line: CostLine): string {
  return `${line.item} ${usd(line.usd)} (${line.detail})`;
}
