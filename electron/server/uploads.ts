/**
 * Browser imports: a capture arrives in sequential chunks (each at most 16 MiB, streamed to disk,
 * never buffered whole), lands in STORE/uploads/<id>-<name>, and is imported in place from there.
 * A chunk must start where the last one ended (409 otherwise); a chunk that fails midway is cut
 * back off, so a retry of the same chunk is always possible.
 *
 * Streaming import: when the client sends the capture's fingerprint with the upload (the browser
 * computes it from 16 samples of the file) and the server can import while receiving, the import
 * starts at once and reads each chunk as it completes (node/store/growing-file.ts), so flows show
 * while the upload runs. An upload abandoned (DELETE) or stalled (no chunk for `stallMs`) stops
 * that import with the reason and nothing of it is kept; the upload itself stays resumable and
 * is imported the ordinary way once complete, as is one the streaming import could not take
 * (gzip, a capture already in the store, a fingerprint that did not match).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, truncate } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { ImportResult } from '../../common/bridge/messages.js';
import { GrowingFile } from '../../node/store/growing-file.js';
import { HttpError } from './http-util.js';
import { Mutex } from '../services/mutex.js';

export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_UPLOAD_LIMIT = 64 * 1024 ** 3;
/** Uploads untouched this long are forgotten and their partial files removed. */
const IDLE_MS = 24 * 3600 * 1000;
/** A streaming import stops when no chunk arrived for this long (the upload stays resumable). */
export const DEFAULT_STALL_MS = 120_000;

/** Imports a file while it arrives; null when it cannot (then it is imported once complete). */
export type ImportGrowing = (file: GrowingFile, fingerprint: string) => Promise<ImportResult | null>;

interface Upload {
  id: string;
  path: string;
  size: number;
  received: number;
  busy: boolean;
  touched: number;
  result: ImportResult | null;
  /** The file as it arrives, and the import reading it (streaming imports only). */
  growing: GrowingFile | null;
  streaming: Promise<ImportResult | null> | null;
  stallTimer: NodeJS.Timeout | null;
}

/**
 * No path separators, no control characters, none of Windows' reserved characters (':' would
 * name an NTFS stream), not a dot name, at most 120 characters.
 */
export function sanitizeUploadName(name: string): string {
  const cleaned = name
    .replace(/[\u0000-\u001f\u007f-\u009f/\\<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const out = [...cleaned].slice(0, 120).join('');
  return out === '' ? 'upload' : out;
}

export class UploadManager {
  private readonly uploads = new Map<string, Upload>();
  private readonly importLock = new Mutex();

  constructor(
    readonly dir: string,
    private readonly limitBytes: number,
    private readonly importFile: (path: string) => Promise<ImportResult>,
    private readonly importGrowing: ImportGrowing | null = null,
    private readonly stallMs = DEFAULT_STALL_MS,
  ) {}

  private pendingBytes(): number {
    let n = 0;
    for (const u of this.uploads.values()) if (!u.result) n += u.size;
    return n;
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const u of [...this.uploads.values()]) {
      if (u.busy || now - u.touched < IDLE_MS) continue;
      this.uploads.delete(u.id);
      this.stopStreaming(u, `the upload was not finished within a day (${u.received} of ${u.size} bytes)`);
      if (u.streaming) await u.streaming;
      if (!u.result) await rm(u.path, { force: true });
    }
  }

  async create(name: string, size: number, fingerprint?: string): Promise<{ id: string; streaming: boolean }> {
    await this.sweep();
    if (size > this.limitBytes) throw new HttpError(413, `the upload (${size} bytes) is larger than this server accepts (${this.limitBytes} bytes)`, 'import the capture on the sensor with tapline import, or raise --upload-limit');
    if (this.pendingBytes() + size > this.limitBytes) throw new HttpError(413, `unfinished uploads would exceed this server's upload limit (${this.limitBytes} bytes)`, 'finish or abandon the other uploads first (they expire after a day)');
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = randomBytes(16).toString('hex');
    const path = join(this.dir, `${id}-${sanitizeUploadName(name)}`);
    const fh = await open(path, 'wx', 0o600);
    await fh.close();
    const u: Upload = { id, path, size, received: 0, busy: false, touched: Date.now(), result: null, growing: null, streaming: null, stallTimer: null };
    this.uploads.set(id, u);
    if (fingerprint !== undefined && this.importGrowing && size > 0) {
      u.growing = new GrowingFile(path, size);
      // a failure is the import's own result (failed); a rejection means it never started
      u.streaming = this.importGrowing(u.growing, fingerprint).catch(() => null);
      this.armStall(u);
    }
    return { id, streaming: u.streaming !== null };
  }

  /** (Re)starts the stall timer of a streaming import. */
  private armStall(u: Upload): void {
    if (u.stallTimer) clearTimeout(u.stallTimer);
    u.stallTimer = null;
    if (!u.growing || u.growing.complete || u.growing.failed) return;
    u.stallTimer = setTimeout(() => {
      this.stopStreaming(u, `the upload stalled: no data for ${Math.round(this.stallMs / 1000)} s at ${u.received} of ${u.size} bytes`);
    }, this.stallMs);
    u.stallTimer.unref();
  }

  /** Stops a streaming import that waits for bytes that will not come; it fails and keeps nothing. */
  private stopStreaming(u: Upload, why: string): void {
    if (u.stallTimer) clearTimeout(u.stallTimer);
    u.stallTimer = null;
    u.growing?.fail(new Error(`${why}; the import that was reading it stopped and kept nothing (send the rest to import it when complete)`));
  }

  /** Abandons an upload: a streaming import of it stops and keeps nothing; the partial file is removed. */
  async abandon(id: string): Promise<void> {
    const u = this.get(id);
    if (u.result) throw new HttpError(409, `upload ${id} was already imported`, null);
    this.uploads.delete(id);
    this.stopStreaming(u, `the upload was abandoned at ${u.received} of ${u.size} bytes`);
    if (u.streaming) await u.streaming;
    await rm(u.path, { force: true });
  }

  private get(id: string): Upload {
    const u = this.uploads.get(id);
    if (!u) throw new HttpError(404, `no upload ${id}`, 'start a new upload with POST /api/uploads');
    u.touched = Date.now();
    return u;
  }

  /** Appends one chunk from the request stream; checks size limits while it streams. */
  async put(id: string, offset: number, req: IncomingMessage): Promise<{ received: number }> {
    const u = this.get(id);
    if (u.result) throw new HttpError(409, `upload ${id} was already imported`, null);
    if (u.busy) throw new HttpError(409, `another chunk of upload ${id} is being written`, 'send the chunks one after another');
    if (offset !== u.received) throw new HttpError(409, `offset ${offset} does not match the ${u.received} bytes received so far`, `resume at offset=${u.received}`);
    const room = Math.min(MAX_CHUNK_BYTES, u.size - u.received);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > room) {
      throw new HttpError(413, Number(declared) > MAX_CHUNK_BYTES ? `a chunk may be at most ${MAX_CHUNK_BYTES} bytes` : `the chunk goes past the declared size (${u.size} bytes)`, 'send smaller chunks');
    }
    u.busy = true;
    this.armStall(u);
    let count = 0;
    try {
      count = await copyChunk(req, u.path, offset, room, (n) => (n > MAX_CHUNK_BYTES ? `a chunk may be at most ${MAX_CHUNK_BYTES} bytes` : `the chunk goes past the declared size (${u.size} bytes)`));
      u.received += count;
      // a streaming import reads only whole chunks (a chunk that fails is cut back off)
      u.growing?.grew(u.received);
      this.armStall(u);
      return { received: u.received };
    } catch (e) {
      // cut a half-written chunk back off so the same chunk can be sent again
      await truncate(u.path, u.received).catch(() => undefined);
      if (e instanceof HttpError) throw e;
      throw new HttpError(400, `the chunk was cut off; nothing of it was kept (${(e as Error).message})`, `send it again at offset=${u.received}`);
    } finally {
      u.busy = false;
    }
  }

  /** Imports a complete upload in place (one import at a time); a repeat returns the same result. */
  async import(id: string): Promise<ImportResult> {
    const u = this.get(id);
    if (u.result) return u.result;
    if (u.busy) throw new HttpError(409, `upload ${id} is still receiving a chunk`, 'wait for the last chunk to finish');
    if (u.received !== u.size) throw new HttpError(409, `upload ${id} is incomplete: ${u.received} of ${u.size} bytes received`, `send the rest from offset=${u.received}`);
    u.busy = true;
    try {
      if (u.streaming) {
        // imported while it arrived; when that could not be done or failed, imported now
        const streamed = await u.streaming;
        u.streaming = null;
        if (streamed && streamed.status !== 'failed') {
          u.result = streamed;
          return streamed;
        }
      }
      const r = await this.importLock.run(() => this.importFile(u.path));
      u.result = r;
      return r;
    } finally {
      u.busy = false;
    }
  }
}

/**
 * Streams the request body into the file at offset, with backpressure, and fails with 413 as
 * soon as it passes max. It never destroys the request itself, so the caller can still answer.
 */
function copyChunk(req: IncomingMessage, path: string, offset: number, max: number, tooBig: (n: number) => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'r+', start: offset });
    let count = 0;
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      out.destroy();
      // wait for the file to close before the caller truncates it
      out.once('close', () => reject(e));
    };
    const onData = (c: Buffer): void => {
      count += c.length;
      if (count > max) {
        fail(new HttpError(413, tooBig(count), 'send smaller chunks'));
        return;
      }
      if (!out.write(c)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    const onEnd = (): void => {
      out.end(() => {
        if (settled) return;
        settled = true;
        resolve(count);
      });
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', () => fail(new Error('the client went away')));
    req.once('error', fail);
    out.once('error', fail);
  });
}
