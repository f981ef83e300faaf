/**
 * Builds the renderer into dist/renderer. base './' makes every asset URL relative, so the same
 * build loads from file:// in Electron and from / in `tapline serve`.
 * `TAPLINE_SERVE=http://127.0.0.1:PORT npx vite --config renderer/vite.config.ts` proxies the API
 * of a running `tapline serve` for development.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const serveTarget = process.env.TAPLINE_SERVE;

/** The policy the built page enforces on itself (serve mode and Electron also send it as a header). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-src 'none'; object-src 'none'; base-uri 'none'";

/** Adds the CSP meta tag to the built page only: the dev server's hot reload needs inline scripts. */
function cspMeta(): Plugin {
  return {
    name: 'tapline-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    // Never turn assets into data: URIs inside scripts or CSS; keep everything a plain file.
    assetsInlineLimit: 0,
    // Chromium (Electron and browsers) supports modulepreload: no polyfill code needed.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
  server: {
    fs: { allow: [here('..')] },
    proxy: serveTarget
      ? {
          '/api/live': { target: serveTarget, ws: true },
          '/api': serveTarget,
          '/pcap': serveTarget,
          '/login': serveTarget,
        }
      : undefined,
  },
});
