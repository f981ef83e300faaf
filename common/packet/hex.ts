/** Lowercase hexadecimal rendering of bytes (SHA-1 digests, debugging output). */

const DIGITS = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += DIGITS[bytes[i] >> 4] + DIGITS[bytes[i] & 15];
  return s;
}
