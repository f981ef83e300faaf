/**
 * A capture's content fingerprint: sha256 over its size and 16 evenly spaced 64 KiB samples
 * (the whole file when it is under 1 MiB). It identifies a moved or renamed capture so its index
 * can be re-linked, at the cost of a few reads rather than hashing gigabytes; it is an identity
 * check, not an integrity proof (use sha256sum for that).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const SAMPLES = 16;
const SAMPLE = 65536;

export async function captureFingerprint(path: string): Promise<{ fingerprint: string; size: number; mtimeMs: number }> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const h = createHash('sha256');
    h.update(`tapline-fp-v1:${st.size}:`);
    const buf = Buffer.alloc(SAMPLE);
    if (st.size <= SAMPLES * SAMPLE) {
      let pos = 0;
      while (pos < st.size) {
        const { bytesRead } = await fh.read(buf, 0, SAMPLE, pos);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } else {
      const step = Math.floor((st.size - SAMPLE) / (SAMPLES - 1));
      for (let i = 0; i < SAMPLES; i++) {
        const { bytesRead } = await fh.read(buf, 0, SAMPLE, i * step);
        h.update(buf.subarray(0, bytesRead));
      }
    }
    return { fingerprint: h.digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}
