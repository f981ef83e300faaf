/**
 * A real copy of bytes. Not `x.slice()`: callers hand in Node Buffers (the store's read window),
 * and Buffer#slice returns a view of the same memory, which the next read overwrites.
 */
export function copyBytes(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  out.set(src);
  return out;
}
