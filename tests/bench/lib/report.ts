/** Console output helpers for benchmarks: aligned tables and number formatting. */

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** Renders rows as an aligned text table with a header rule. Cells may span lines with '\n'. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => Math.max(0, ...(r[i] ?? '').split('\n').map((l) => l.length)))));
  const pad = (text: string, i: number): string => ((columns[i].align ?? 'left') === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (cells: readonly string[]): string => cells.map((c, i) => pad(c, i)).join('  ').trimEnd();
  const out = [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) {
    const parts = columns.map((_, i) => (r[i] ?? '').split('\n'));
    const height = Math.max(...parts.map((p) => p.length));
    for (let k = 0; k < height; k++) out.push(line(parts.map((p) => p[k] ?? '')));
  }
  return out.join('\n');
}

export function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "0.62×"; more digits for small ratios so they do not round to 0. */
export function fmtRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${x >= 100 ? fmt(x, 0) : x >= 10 ? fmt(x, 1) : fmt(x, 2)}×`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${fmt(ms / 1000, 1)} s`;
  if (ms >= 1000) return `${fmt(ms / 1000, 2)} s`;
  return `${fmt(ms, ms >= 10 ? 1 : 2)} ms`;
}

export function fmtMiB(kb: number | null | undefined): string {
  if (kb === null || kb === undefined || !Number.isFinite(kb)) return 'n/a';
  return `${fmt(kb / 1024, 0)} MiB`;
}

/** Yes/no/n.a. column for targets; benchmarks report, they do not fail. */
export function meets(ok: boolean | null): string {
  return ok === null ? 'n/a' : ok ? 'yes' : 'NO';
}

/** A titled section on stdout. */
export function section(title: string): void {
  process.stdout.write(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}\n`);
}

export function say(text: string): void {
  process.stdout.write(`${text}\n`);
}
