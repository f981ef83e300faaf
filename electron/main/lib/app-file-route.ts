/**
 * Carved files in the desktop app: app://tapline/api/files/<sha256>[?sensor=&download=1&name=],
 * the same path and headers as the HTTP API's /api/files/{sha256}, answered straight from the
 * services. The loopback API cannot serve the renderer's previews: its origin is not 'self' under
 * the app's CSP (img-src/connect-src 'self') and it wants the store's token, which the renderer
 * never holds. Plain Node (no electron import) so tests drive it; app-protocol.ts mounts it.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { carvedFileHeaders } from '../../services/carved-file-headers.js';
import { SensorIdSchema } from '../../../common/bridge/messages.js';
import { ServiceError, type FileContent } from '../../services/sensor-backend.js';
import { APP_ORIGIN } from './app-identity.js';

export const APP_FILES_PREFIX = 'api/files/';

export interface AppFileRequest {
  sha256: string;
  sensor?: string;
  download: boolean;
  name?: string;
}

export interface AppFileResponse {
  status: number;
  headers: Record<string, string>;
  /** The file's bytes, streamed; null for errors and HEAD. */
  body: ReadableStream<Uint8Array> | null;
  /** Plain-text reason for an error status. */
  error?: string;
}

/** The request an app:// URL names, or null when it is not a well-formed carved-file URL. */
export function parseAppFileUrl(url: string): AppFileRequest | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null;
  const m = /^\/api\/files\/([0-9a-f]{64})$/.exec(u.pathname);
  if (!m) return null;
  const sensor = u.searchParams.get('sensor');
  const download = u.searchParams.get('download');
  const name = u.searchParams.get('name');
  if (sensor !== null && !SensorIdSchema.safeParse(sensor).success) return null;
  if (download !== null && download !== '0' && download !== '1') return null;
  if (name !== null && name.length > 200) return null;
  return { sha256: m[1], download: download === '1', ...(sensor !== null ? { sensor } : {}), ...(name !== null ? { name } : {}) };
}

export interface FileSource {
  fileContent(sha256: string, sensor?: string): Promise<FileContent>;
}

function fail(status: number, error: string): AppFileResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }, body: null, error };
}

/** Answers one app:// carved-file request (GET or HEAD). */
export async function appFileResponse(files: FileSource, url: string, method: string): Promise<AppFileResponse> {
  if (method !== 'GET' && method !== 'HEAD') return fail(405, 'method not allowed');
  const req = parseAppFileUrl(url);
  if (req === null) return fail(400, 'not a carved-file URL (app://tapline/api/files/<sha256>)');
  let f: FileContent;
  try {
    f = await files.fileContent(req.sha256, req.sensor);
  } catch (e) {
    if (e instanceof ServiceError) return fail(e.status, e.message);
    return fail(500, (e as Error).message);
  }
  const headers = carvedFileHeaders(req.sha256, f.mime, f.size, { download: req.download, name: req.name });
  const cleanup = (): void => {
    if (f.temporary) void rm(f.path, { force: true });
  };
  if (method === 'HEAD') {
    cleanup();
    return { status: 200, headers, body: null };
  }
  const stream = createReadStream(f.path);
  stream.once('close', cleanup);
  return { status: 200, headers, body: Readable.toWeb(stream) as ReadableStream<Uint8Array> };
}
