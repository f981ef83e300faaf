/**
 * The Content-Security-Policy the desktop shell sends with every response of the app:// scheme
 * (and adds to any other response, see security.ts). Stricter than the one the renderer's page
 * carries in its <meta> tag: the browser enforces both, so the strictest directive wins.
 * - default-src 'none': everything not listed below is refused.
 * - script-src 'self': only the bundled scripts; no inline script, no eval, no remote script.
 * - connect-src 'self': the desktop renderer talks to the back end over IPC, never the network.
 * - frame-ancestors / form-action / base-uri: no framing, no form posts, no <base> hijack.
 * docs/ELECTRON-SECURITY.md quotes this string; a unit test keeps them equal.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers on every app:// response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/**
 * Response headers with our CSP forced in, for session.webRequest.onHeadersReceived: any CSP a
 * response brought is replaced (header names are case-insensitive, so every casing is removed).
 */
export function withSecurityHeaders(headers: Readonly<Record<string, readonly string[]>> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const forced = new Set(Object.keys(SECURITY_HEADERS).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(headers ?? {})) if (!forced.has(k.toLowerCase())) out[k] = [...v];
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) out[k] = [v];
  return out;
}
