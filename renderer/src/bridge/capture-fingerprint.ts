/**
 * A capture's content fingerprint computed in the browser, exactly as the store computes it
 * (node/store/capture-fingerprint.ts, docs/INDEX-FORMAT.md "Capture fingerprint"): sha256 of
 * "tapline-fp-v1:<size>:" and 16 evenly spaced 64 KiB samples (the whole file under 1 MiB).
 * Sent with an upload, it gives the server the capture id before the last byte arrives, so the
 * import can run while the upload does (the server checks it against the complete file).
 * Reads at most 1 MiB of the file.
 */
import type { ImportFile } from '../../../common/bridge/bridge.js';

const SAMPLES = 16;
const SAMPLE = 65536;

type Digest = (algorithm: 'SHA-256', data: Uint8Array) => Promise<ArrayBuffer>;

/** The fingerprint, or null when this page cannot hash (no WebCrypto outside a secure context). */
export async function captureFingerprintOf(file: ImportFile, digest: Digest | null = defaultDigest()): Promise<string | null> {
  if (!digest) return null;
  const parts: Uint8Array[] = [new TextEncoder().encode(`tapline-fp-v1:${file.size}:`)];
  if (file.size <= SAMPLES * SAMPLE) {
    parts.push(new Uint8Array(await file.slice(0, file.size).arrayBuffer()));
  } else {
    const step = Math.floor((file.size - SAMPLE) / (SAMPLES - 1));
    for (let i = 0; i < SAMPLES; i++) parts.push(new Uint8Array(await file.slice(i * step, i * step + SAMPLE).arrayBuffer()));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const hash = new Uint8Array(await digest('SHA-256', all));
  let hex = '';
  for (const b of hash) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function defaultDigest(): Digest | null {
  const subtle = (globalThis as { crypto?: { subtle?: { digest(a: string, d: Uint8Array): Promise<ArrayBuffer> } } }).crypto?.subtle;
  return subtle ? (a, d) => subtle.digest(a, d) : null;
}
