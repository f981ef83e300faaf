/**
 * Uploads one capture to `tapline serve` and has it indexed: create an upload, PUT the bytes in
 * sequential chunks of at most 8 MiB (each read with file.slice().arrayBuffer(), so memory stays
 * bounded whatever the file size), then ask for the import.
 */
import { z } from 'zod';
import type { ImportFile } from '../../../common/bridge/bridge.js';
import { ImportResultSchema, type ImportResult } from '../../../common/bridge/messages.js';
import type { ApiClient } from './api-client.js';

export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

const UploadCreatedSchema = z.object({ id: z.string().min(1).max(200) });

export interface UploadCallbacks {
  onUploaded(sent: number, total: number): void;
  onIndexing(): void;
}

export async function uploadAndImport(api: ApiClient, file: ImportFile, cb: UploadCallbacks, chunkBytes = UPLOAD_CHUNK_BYTES): Promise<ImportResult> {
  const { id } = await api.postJson('/api/uploads', { name: file.name, size: file.size }, UploadCreatedSchema);
  const base = `/api/uploads/${encodeURIComponent(id)}`;
  cb.onUploaded(0, file.size);
  for (let start = 0; start < file.size; start += chunkBytes) {
    const end = Math.min(file.size, start + chunkBytes);
    const bytes = await file.slice(start, end).arrayBuffer();
    await api.putBytes(base, { offset: start }, bytes);
    cb.onUploaded(end, file.size);
  }
  cb.onIndexing();
  return api.postJson(`${base}/import`, undefined, ImportResultSchema);
}
