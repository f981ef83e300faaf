/** Human-friendly byte sizes for benchmark options and output. Units are binary (2G = 2 GiB). */

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KB: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
  T: 1024 ** 4,
  TB: 1024 ** 4,
  TIB: 1024 ** 4,
};

/** Parses "2G", "200M", "1.5GiB", "123456". Throws on anything else. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new Error(`invalid size: ${JSON.stringify(text)}`);
  const unit = UNITS[m[2].toUpperCase()];
  if (unit === undefined) throw new Error(`invalid size unit in ${JSON.stringify(text)}`);
  const n = Math.floor(Number(m[1]) * unit);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid size: ${JSON.stringify(text)}`);
  return n;
}

/** A file-name-safe label for a size argument: "2G" -> "2g", "1.5G" -> "1_5g". */
export function sizeLabel(text: string): string {
  return text.trim().toLowerCase().replace(/i?b$/, '').replace(/[^0-9a-z]/g, '_');
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Throughput in MB/s (decimal megabytes, as tools usually report). */
export function mbPerSec(bytes: number, ms: number): number {
  return ms > 0 ? bytes / 1e6 / (ms / 1000) : Number.NaN;
}
