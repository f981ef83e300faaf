/**
 * HTTP content codings undone with node:zlib for the rule engine (offline detect and the live
 * RuleTrigger of conditional capture), in a module of its own so the capture writer's thread does
 * not load the store-walking detect code.
 */
import { brotliDecompressSync, constants as zc, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** Most bytes one coded body may decode to (the first maxBytes of it are kept). */
const DECODE_LIMIT = 4 * 1024 * 1024;

/**
 * Content codings undone with node:zlib, last applied first; a body cut by the inspection cap
 * decodes as far as it goes (sync flush); output beyond DECODE_LIMIT is refused (a bomb), and
 * only the first maxBytes are kept. Unknown codings or corrupt data: null (rules then see the coded body).
 */
export function nodeBodyDecoder(codings: readonly string[], coded: Uint8Array, maxBytes: number): Uint8Array | null {
  let b: Buffer = Buffer.from(coded.buffer, coded.byteOffset, coded.byteLength);
  try {
    for (let i = codings.length - 1; i >= 0; i--) {
      const c = codings[i];
      const o = { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: DECODE_LIMIT };
      if (c === 'gzip' || c === 'x-gzip') b = gunzipSync(b, o);
      else if (c === 'deflate') {
        // "deflate" is zlib-wrapped by the RFC, raw deflate by some servers
        b = b.length >= 2 && (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0 ? inflateSync(b, o) : inflateRawSync(b, o);
      } else if (c === 'br') b = brotliDecompressSync(b, { finishFlush: zc.BROTLI_OPERATION_FLUSH, maxOutputLength: DECODE_LIMIT });
      else return null;
    }
  } catch {
    // corrupt data, or more than DECODE_LIMIT (a decompression bomb): rules see the coded body
    return null;
  }
  return new Uint8Array(b.buffer, b.byteOffset, Math.min(b.byteLength, maxBytes));
}
