/**
 * Uploads one capture to `tapline serve` and has it indexed: create an upload, PUT the bytes in
 * sequential chunks of at most 16 MiB (the server's largest: half the round trips of 8 MiB),
 * then ask for the import. The upload carries the capture's fingerprint (capture-fingerprint.ts) so the
 * server imports it while it arrives: flows show after the first chunk rather than after the
 * whole file. An upload that fails midway is abandoned (DELETE), which stops that import and
 * keeps nothing of it.
 *
 * A chunk of a real File goes out as the Blob slice itself: the browser streams it from disk in
 * its network process. Reading it into an ArrayBuffer first copied every byte through the page
 * and made Chromium's upload path about 15× slower (measured: 48 MiB in 12-14 s as ArrayBuffers,
 * 0.7-0.8 s as Blob slices; a 1 GB upload took minutes). Other ImportFile implementations (tests,
 * anything that is not a Blob) are read with arrayBuffer(), one chunk at a time, as before.
 */
import { z } from 'zod';
import type { ImportFile } from '../../../common/bridge/bridge.js';
import { ImportResultSchema, type ImportResult } from '../../../common/bridge/messages.js';
import type { ApiClient } from './api-client.js';
import { captureFingerprintOf } from './capture-fingerprint.js';

export const UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024;

const UploadCreatedSchema = z.object({ id: z.string().min(1).max(200) });

export interface UploadCallbacks {
  onUploaded(sent: number, total: number): void;
  onIndexing(): void;
}

export async function uploadAndImport(api: ApiClient, file: ImportFile, cb: UploadCallbacks, chunkBytes = UPLOAD_CHUNK_BYTES): Promise<ImportResult> {
  // without a fingerprint (no WebCrypto here) the server imports once the upload is complete
  const fingerprint = await captureFingerprintOf(file).catch(() => null);
  const { id } = await api.postJson('/api/uploads', { name: file.name, size: file.size, ...(fingerprint ? { fingerprint } : {}) }, UploadCreatedSchema);
  const base = `/api/uploads/${encodeURIComponent(id)}`;
  cb.onUploaded(0, file.size);
  try {
    for (let start = 0; start < file.size; start += chunkBytes) {
      const end = Math.min(file.size, start + chunkBytes);
      const part = file.slice(start, end);
      const body = typeof Blob !== 'undefined' && part instanceof Blob ? part : await part.arrayBuffer();
      await api.putBytes(base, { offset: start }, body);
      cb.onUploaded(end, file.size);
    }
  } catch (e) {
    // best effort: the server would otherwise wait for the rest until its stall timeout
    await api.delete(base).catch(() => undefined);
    throw e;
  }
  cb.onIndexing();
  return api.postJson(`${base}/import`, undefined, ImportResultSchema);
}
