/**
 * The few string conversions the capture code needs (interface names, writer options). common/
 * has no TextEncoder/TextDecoder in its types, so UTF-8 is converted by hand.
 */

/** Decodes UTF-8 (invalid sequences become U+FFFD); stops at the first NUL, as pcapng strings may be NUL-padded. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b === 0) break;
    let cp = 0xfffd;
    let need = 0;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xc2 && b < 0xe0) {
      cp = b & 0x1f;
      need = 1;
    } else if (b >= 0xe0 && b < 0xf0) {
      cp = b & 0x0f;
      need = 2;
    } else if (b >= 0xf0 && b < 0xf5) {
      cp = b & 0x07;
      need = 3;
    }
    i++;
    if (need > 0) {
      if (i + need > end) {
        cp = 0xfffd;
        i = end;
      } else {
        let ok = true;
        for (let k = 0; k < need; k++) {
          const c = bytes[i + k];
          if ((c & 0xc0) !== 0x80) {
            ok = false;
            break;
          }
          cp = (cp << 6) | (c & 0x3f);
        }
        // Reject overlong forms, surrogates and values past U+10FFFF.
        const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
        if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          cp = 0xfffd;
          if (ok) i += need;
        } else {
          i += need;
        }
      }
    }
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** Encodes a string as UTF-8 (lone surrogates become U+FFFD). */
export function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    let cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) {
      out.push(cp);
    } else if (cp < 0x800) {
      out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    } else {
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
  }
  return Uint8Array.from(out);
}

/** "0x" + 8 hex digits, for magic numbers in error messages. */
export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
