/**
 * The type of a carved file from its content: magic bytes via file-type, else a text heuristic
 * (valid UTF-8 without binary control bytes), recorded next to the type the sender declared.
 *
 * Decision: the type comes from the first HEAD_BYTES (64 KiB) of the file, which carving keeps in
 * memory as the bytes arrive (file-type's own stream API samples 4100 bytes). Sniffing the file
 * on disk instead cost one open and several reads per file (~0.7 ms of CPU each, a tenth of a
 * carve). The rare type that needs bytes further in (an MP3 behind a >64 KiB ID3 tag, a ZIP
 * container whose telling entry comes late) is reported as what the head shows, or not at all.
 */
import { open } from 'node:fs/promises';
import { HEAD_BYTES } from './spool-file.js';

export interface DetectedType {
  mime: string | null;
  ext: string | null;
  source: 'magic' | 'text' | 'none';
}

const SNIFF_BYTES = 8192;

/** file-type is loaded when the first file is typed (~80 ms of module loading a carve without files never pays). */
let fileType: Promise<typeof import('file-type')> | null = null;
const loadFileType = (): Promise<typeof import('file-type')> => (fileType ??= import('file-type'));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The type of a stored file (reads its first HEAD_BYTES). */
export async function detectType(path: string, size: number): Promise<DetectedType> {
  if (size === 0) return { mime: null, ext: null, source: 'none' };
  return detectTypeOf(await readHead(path, Math.min(size, HEAD_BYTES)), size);
}

/** The type of a file of `size` bytes from its first min(size, HEAD_BYTES) bytes. */
export async function detectTypeOf(head: Uint8Array, size: number): Promise<DetectedType> {
  if (size === 0 || head.length === 0) return { mime: null, ext: null, source: 'none' };
  const { fileTypeFromBuffer } = await loadFileType();
  const magic = await fileTypeFromBuffer(head).catch(() => undefined);
  if (magic) return { mime: magic.mime, ext: magic.ext, source: 'magic' };
  const sniff = head.length > SNIFF_BYTES ? head.subarray(0, SNIFF_BYTES) : head;
  const text = textType(sniff, size > sniff.length);
  return text ? { mime: text.mime, ext: text.ext, source: 'text' } : { mime: null, ext: null, source: 'none' };
}

/** The first n bytes of a file (fewer when it is shorter). */
export async function readHead(path: string, n: number): Promise<Uint8Array> {
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
