/**
 * How a carved file is handed to a browser or to the desktop renderer. Carved bytes come from the
 * wire (attacker-controlled), so nothing here ever lets them render as a document or run: only
 * raster images keep their type; text (plain or risky: HTML, SVG, scripts, XML, JSON) becomes
 * text/plain for an inline preview; everything else is application/octet-stream. Shared by the
 * HTTP API (/api/files/{sha256}) and the desktop shell's app://tapline/files/ route.
 */

/** Raster image types a browser may show as they are (SVG is not one: it can carry script). */
const SAFE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon', 'image/avif', 'image/tiff']);

/** The Content-Type a carved file is served with; never one a browser executes or renders as a document. */
export function servedType(mime: string | null, download: boolean): string {
  if (mime !== null && SAFE_IMAGES.has(mime)) return mime;
  if (download) return 'application/octet-stream';
  if (mime !== null && (mime.startsWith('text/') || /(xml|json|javascript|ecmascript|svg)/.test(mime))) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** The response headers for a carved file (sandboxed, no sniffing, attachment unless previewable). */
export function carvedFileHeaders(sha256: string, mime: string | null, size: number, opts: { download: boolean; name?: string }): Record<string, string> {
  const type = servedType(mime, opts.download);
  // ASCII-only name (header injection, odd encodings); the hash when none is usable
  const name = (opts.name ?? '').replace(/[^0-9A-Za-z._-]+/g, '_').replace(/^[._]+/, '').slice(0, 200) || sha256;
  const attach = opts.download || type === 'application/octet-stream';
  return {
    'Content-Type': type,
    'Content-Length': String(size),
    'Content-Disposition': `${attach ? 'attachment' : 'inline'}; filename="${name}"`,
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'none'; script-src 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'private, max-age=3600, immutable',
  };
}
