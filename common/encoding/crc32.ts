/** CRC-32 (IEEE 802.3, as zlib), incremental: crc32(b2, crc32(b1)) === crc32(b1 ++ b2). */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export type Crc32 = (data: Uint8Array, previous?: number) => number;

export const crc32: Crc32 = (data, previous = 0) => {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
