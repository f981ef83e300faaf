/**
 * Pure helpers of the payload views (follow stream, carved files): base64 → bytes, ASCII and hex
 * renderings, and which preview a carved file may get. No DOM: unit-tested in Node.
 */
import type { CarvedFile, FollowResult } from '../../../common/bridge/messages.js';

/** base64 → bytes without atob's Latin-1 string round trip per call site. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Printable ASCII as is, CR/LF/TAB kept, every other byte as "." (like tshark's ASCII follow). */
export function asciiText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b === 0x0a || b === 0x0d || b === 0x09 || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : '.';
  return s;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** A classic hex dump: offset, 16 bytes in hex, their ASCII. `base` offsets the first line. */
export function hexDump(bytes: Uint8Array, base = 0): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = [...row].map(hex2).join(' ').padEnd(47, ' ');
    const asc = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(base + i).toString(16).padStart(8, '0')}  ${hex}  ${asc}`);
  }
  return lines.join('\n');
}

export interface FollowBlock {
  key: string;
  dir: 0 | 1;
  offset: number;
  /** Bytes missing from the capture right before this block. */
  gapBefore: number;
  bytes: Uint8Array;
}

/** Consecutive segments of one direction without a gap between them merged into one block. */
export function followBlocks(r: FollowResult): FollowBlock[] {
  const out: FollowBlock[] = [];
  for (const s of r.segments) {
    const bytes = fromBase64(s.data);
    const last = out[out.length - 1];
    if (last && last.dir === s.dir && s.gap_before === 0 && last.offset + last.bytes.length === s.offset) {
      const joined = new Uint8Array(last.bytes.length + bytes.length);
      joined.set(last.bytes);
      joined.set(bytes, last.bytes.length);
      last.bytes = joined;
    } else out.push({ key: `${s.dir}:${s.offset}`, dir: s.dir, offset: s.offset, gapBefore: s.gap_before, bytes });
  }
  return out;
}

export type PreviewKind = 'image' | 'text' | 'inert' | 'hex';

/** Types never rendered, only shown as escaped text (the server serves them as text/plain anyway). */
const RISKY = /(html|svg|xml|javascript|ecmascript|x-sh|x-python|x-perl|php|vbscript|wasm)/i;
const IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/x-icon', 'image/avif']);

/** How a carved file may be previewed: raster images as <img>, text as text, risky types as inert text, the rest as hex. */
export function previewKind(f: Pick<CarvedFile, 'mime' | 'declaredType' | 'name'>): PreviewKind {
  const types = [f.mime ?? '', f.declaredType ?? ''];
  if (types.some((t) => RISKY.test(t)) || /\.(html?|svg|xhtml|js|mjs|vbs|hta|php)$/i.test(f.name ?? '')) return 'inert';
  if (f.mime !== null && IMAGES.has(f.mime)) return 'image';
  if (f.mime?.startsWith('text/') || f.mime === 'application/json') return 'text';
  return 'hex';
}

/** Bytes shown in a preview. */
export const PREVIEW_BYTES = 4096;

/** A name to show: the sanitized original, else the hash prefix. */
export function displayName(f: Pick<CarvedFile, 'name' | 'sha256'>): string {
  return f.name ?? `(unnamed) ${f.sha256.slice(0, 12)}…`;
}
