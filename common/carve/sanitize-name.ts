/**
 * File names that arrive over the wire made safe to show and to write anywhere: the last path
 * component only (no traversal), no control or bidi-override characters, no characters Windows
 * forbids, not a reserved device name, at most 200 UTF-8 bytes with the extension kept.
 * Environment-free.
 */

export const MAX_NAME_BYTES = 200;
const MAX_EXT_CHARS = 16;

// C0, DEL, C1 controls; bidi embeddings/overrides/isolates and zero-width marks that disguise extensions
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The longest prefix of s (whole code points) that fits in maxBytes of UTF-8. */
function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const w = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n + w > maxBytes) break;
    out += ch;
    n += w;
  }
  return out;
}

/** Returns null when nothing usable is left (empty, ".", ".."). */
export function sanitizeFileName(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  let s = raw.normalize('NFC').replace(INVISIBLE, '');
  // last component of either separator style: "../../etc/passwd" → "passwd", "C:\\x\\a.exe" → "a.exe"
  const cut = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
  if (cut >= 0) s = s.slice(cut + 1);
  s = s.replace(WINDOWS_FORBIDDEN, '_').trim();
  // trailing dots and spaces are dropped by Windows; leading dots would hide the file on Unix
  s = s.replace(/[. ]+$/, '').replace(/^\.+/, '');
  if (s === '') return null;
  if (RESERVED.test(s)) s = `_${s}`;
  if (utf8Length(s) <= MAX_NAME_BYTES) return s;
  const dot = s.lastIndexOf('.');
  const ext = dot > 0 && s.length - dot - 1 <= MAX_EXT_CHARS ? s.slice(dot) : '';
  const stem = ext ? s.slice(0, dot) : s;
  return truncateUtf8(stem, MAX_NAME_BYTES - utf8Length(ext)).replace(/[. ]+$/, '') + ext;
}
