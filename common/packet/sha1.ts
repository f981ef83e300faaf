/**
 * SHA-1 (FIPS 180-4) over a Uint8Array, in plain TypeScript because common/ has no access to
 * node:crypto or WebCrypto. Used once per flow for the Community ID, not per packet.
 */

const W = new Int32Array(80);
/** Padded-message buffer reused for short inputs (the per-flow Community ID hashes ~40 bytes). */
const SHORT = new Uint8Array(256);

/** Returns the 20-byte digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  sha1Into(data, data.length, out);
  return out;
}

/** Writes the 20-byte digest of data[0, len) into `out` (no allocation for inputs under 184 bytes). */
export function sha1Into(data: Uint8Array, len: number, out: Uint8Array): void {
  // Message + 0x80 + zero padding + 64-bit bit length, rounded up to 64-byte blocks.
  const blocks = ((len + 8) >>> 6) + 1;
  const msgLen = blocks * 64;
  let msg: Uint8Array;
  if (msgLen <= SHORT.length) {
    msg = SHORT;
    msg.fill(0, 0, msgLen);
    for (let i = 0; i < len; i++) msg[i] = data[i];
  } else {
    msg = new Uint8Array(msgLen);
    msg.set(data.subarray(0, len));
  }
  msg[len] = 0x80;
  const bitsHigh = Math.floor(len / 0x20000000); // len * 8 / 2^32, exact for any array length
  const bitsLow = (len << 3) >>> 0;
  const tail = msgLen - 8;
  msg[tail] = bitsHigh >>> 24;
  msg[tail + 1] = bitsHigh >>> 16;
  msg[tail + 2] = bitsHigh >>> 8;
  msg[tail + 3] = bitsHigh;
  msg[tail + 4] = bitsLow >>> 24;
  msg[tail + 5] = bitsLow >>> 16;
  msg[tail + 6] = bitsLow >>> 8;
  msg[tail + 7] = bitsLow;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const w = W;

  for (let block = 0; block < msgLen; block += 64) {
    for (let i = 0; i < 16; i++) {
      const j = block + i * 4;
      w[i] = (msg[j] << 24) | (msg[j + 1] << 16) | (msg[j + 2] << 8) | msg[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // four 20-round loops rather than one with a branch per round: each index import runs this
    // once per flow, mostly before the optimizing compiler has seen it
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }

  putWord(out, 0, h0);
  putWord(out, 4, h1);
  putWord(out, 8, h2);
  putWord(out, 12, h3);
  putWord(out, 16, h4);
}

function putWord(out: Uint8Array, at: number, h: number): void {
  out[at] = h >>> 24;
  out[at + 1] = h >>> 16;
  out[at + 2] = h >>> 8;
  out[at + 3] = h;
}
