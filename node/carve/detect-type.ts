/**
 * The type of a carved file from its content: magic bytes via file-type, else a text heuristic
 * (valid UTF-8 without binary control bytes), recorded next to the type the sender declared.
 */
import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

export interface DetectedType {
  mime: string | null;
  ext: string | null;
  source: 'magic' | 'text' | 'none';
}

const SNIFF_BYTES = 8192;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function detectType(path: string, size: number): Promise<DetectedType> {
  if (size === 0) return { mime: null, ext: null, source: 'none' };
  const magic = await fileTypeFromFile(path).catch(() => undefined);
  if (magic) return { mime: magic.mime, ext: magic.ext, source: 'magic' };
  const head = await readHead(path, Math.min(size, SNIFF_BYTES));
  const text = textType(head, size > head.length);
  return text ? { mime: text.mime, ext: text.ext, source: 'text' } : { mime: null, ext: null, source: 'none' };
}

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Text if the bytes are UTF-8 (a sequence cut at the sniff limit is fine) with no NUL or other binary controls. */
export function textType(head: Uint8Array, truncated: boolean): { mime: string; ext: string } | null {
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return null;
  let text: string;
  try {
    text = utf8.decode(truncated ? trimPartialUtf8(head) : head);
  } catch {
    return null;
  }
  const start = text.replace(/^\uFEFF/, '').trimStart().slice(0, 512).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || /^<(head|body|script|div|meta)[\s>]/.test(start)) return { mime: 'text/html', ext: 'html' };
  if (start.startsWith('<?xml')) return { mime: 'application/xml', ext: 'xml' };
  if (start.startsWith('<svg')) return { mime: 'image/svg+xml', ext: 'svg' };
  if ((start.startsWith('{') || start.startsWith('[')) && looksJson(text, truncated)) return { mime: 'application/json', ext: 'json' };
  return { mime: 'text/plain', ext: 'txt' };
}

function looksJson(text: string, truncated: boolean): boolean {
  if (truncated) return /^\s*[[{]\s*("|\{|\[|\d|-|true|false|null|\]|\})/.test(text);
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Drops an incomplete UTF-8 sequence at the end (the sniff window may cut one). */
function trimPartialUtf8(b: Uint8Array): Uint8Array {
  let i = b.length;
  let back = 0;
  while (i > 0 && back < 3 && (b[i - 1] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i > 0 && b[i - 1] >= 0xc0) return b.subarray(0, i - 1);
  return b;
}
