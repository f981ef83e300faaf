/**
 * Node edge of the capture parsers: streams a file from disk into createCaptureParser with one
 * reused read buffer, transparently gunzipping `.pcap.gz`-style input.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import { createCaptureParser, detectCaptureFormat } from '../../common/capture/capture-parser.js';
import { CaptureFormatError } from '../../common/capture/capture-types.js';
import type {
  CaptureFileInfo,
  CaptureFormat,
  CaptureInterface,
  CaptureParser,
  CaptureSink,
  PacketRecordView,
} from '../../common/capture/capture-types.js';

/**
 * Read size. Two buffers of it are used (see the read-ahead in readCaptureFile). 8 and 16 MiB
 * were not measurably faster on a 2 GB import; smaller buffers stay cache-resident.
 */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

export interface ReadCaptureOptions {
  /** Read size in bytes (default DEFAULT_CHUNK_SIZE). Two buffers of this size are used. */
  chunkSize?: number;
  /**
   * Resume point: a file offset that is a record boundary, normally the `consumed` of an earlier
   * read. Headers and interfaces are still parsed (and reported) from the start of the file and
   * packet indices stay file-absolute, but packets whose record starts before `start` are not
   * delivered or counted.
   */
  start?: number;
  /** Called after every read with bytes read from disk so far and the file size (both on-disk). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Awaited after each chunk was parsed (before the next is parsed): every record wholly in the
   * bytes read so far has reached the sink, the rest will. Lets a sink do asynchronous work at a
   * record boundary (an import writing an index part).
   */
  afterChunk?: () => Promise<void> | void;
  /** Aborting rejects the promise with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Opens the file another way: a file still arriving (node/store/growing-file.ts) is read
   * through a handle whose reads wait for the bytes and whose stat() is the final size.
   * Uncompressed captures only (gzip input is streamed from a plain file).
   */
  open?: (path: string) => Promise<ReadableHandle>;
}

/** The part of a FileHandle readCaptureFile uses for uncompressed input. */
export interface ReadableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface ReadCaptureResult {
  /** Bytes read from disk (compressed bytes for gzip input). */
  bytesRead: number;
  /** Offset after the last complete record (in the decompressed stream for gzip input). */
  consumed: number;
  /** Packets delivered to the sink. */
  packets: number;
  /** Why reading stopped early; everything before error.offset was delivered. */
  error: CaptureFormatError | null;
  compressed: 'gzip' | null;
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * The sink to hand the parser and how to count the packets delivered to the caller's sink.
 * Without a resume point the caller's sink is used as is and the parser counts: a wrapper would
 * cost a call per packet. With one, a wrapper hides the packets before `start`.
 */
function deliverySink(sink: CaptureSink, start: number): { sink: CaptureSink; packets: (parser: CaptureParser) => number } {
  if (start <= 0) return { sink, packets: (parser) => parser.packets };
  let delivered = 0;
  const wrapper: CaptureSink = {
    onFileInfo: (info: CaptureFileInfo): void => sink.onFileInfo(info),
    onInterface: (iface: CaptureInterface): void => sink.onInterface(iface),
    onPacket: (rec: PacketRecordView): void => {
      if (rec.recordOffset < start) return;
      delivered++;
      sink.onPacket(rec);
    },
  };
  return { sink: wrapper, packets: () => delivered };
}

/** Runs `step` and turns a CaptureFormatError into a returned value; other errors propagate. */
function tryParse(step: () => void): CaptureFormatError | null {
  try {
    step();
    return null;
  } catch (e) {
    if (e instanceof CaptureFormatError) return e;
    throw e;
  }
}

/**
 * Reads a pcap or pcapng file (optionally gzip-compressed) and feeds every record to `sink`.
 * Format errors do not reject: they are returned in `error` after all earlier records were
 * delivered. I/O errors, sink exceptions and aborts reject.
 */
export async function readCaptureFile(
  path: string,
  sink: CaptureSink,
  opts: ReadCaptureOptions = {},
): Promise<ReadCaptureResult> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`bad chunkSize ${chunkSize}`);
  opts.signal?.throwIfAborted();
  const delivery = deliverySink(sink, opts.start ?? 0);
  const parser = createCaptureParser(delivery.sink);
  const fh: ReadableHandle = opts.open ? await opts.open(path) : await open(path, 'r');
  // A read still in flight when we leave (error, abort): awaited before the handle is closed.
  let ahead: Promise<{ bytesRead: number }> | null = null;
  try {
    const totalBytes = (await fh.stat()).size;
    const size = Math.min(chunkSize, Math.max(totalBytes, 1));
    const buf = Buffer.allocUnsafe(size);
    const first = await fh.read(buf, 0, buf.length, 0);
    if (isGzip(buf.subarray(0, first.bytesRead))) {
      if (opts.open) throw new Error(`${path}: a gzip-compressed capture cannot be read while it arrives`);
      return await readGzip(fh as FileHandle, parser, () => delivery.packets(parser), totalBytes, chunkSize, opts);
    }
    // Two buffers: the next chunk is read (a page-cache copy on a libuv thread) while this one
    // is parsed, so the parsing thread does not sit idle for every read. The parser keeps no
    // reference to a chunk once push() returns (a straddling record is copied), so a buffer can
    // be refilled as soon as its chunk was pushed.
    const bufs = [buf, Buffer.allocUnsafe(size)];
    let current = 0;
    let bytesRead = 0;
    let n = first.bytesRead;
    let error: CaptureFormatError | null = null;
    while (n > 0) {
      bytesRead += n;
      const b = bufs[current];
      // Read until a read returns 0 bytes, as before: the file may have grown since stat().
      ahead = fh.read(bufs[current ^ 1], 0, size, bytesRead);
      // A plain Uint8Array view: record `data` views then behave like Uint8Array (Buffer#slice does not copy).
      const chunk = new Uint8Array(b.buffer, b.byteOffset, n);
      error = tryParse(() => parser.push(chunk));
      opts.onProgress?.(bytesRead, totalBytes);
      if (error !== null) break;
      if (opts.afterChunk) await opts.afterChunk();
      opts.signal?.throwIfAborted();
      const next = ahead;
      ahead = null;
      n = (await next).bytesRead;
      current ^= 1;
    }
    if (error === null) error = tryParse(() => parser.end());
    return { bytesRead, consumed: parser.consumed, packets: delivery.packets(parser), error, compressed: null };
  } finally {
    if (ahead !== null) await ahead.catch(() => undefined);
    await fh.close();
  }
}

async function readGzip(
  fh: FileHandle,
  parser: CaptureParser,
  packets: () => number,
  totalBytes: number,
  chunkSize: number,
  opts: ReadCaptureOptions,
): Promise<ReadCaptureResult> {
  const input = fh.createReadStream({ start: 0, highWaterMark: chunkSize, autoClose: false });
  const gunzip = createGunzip({ chunkSize: Math.min(chunkSize, 1024 * 1024) });
  let bytesRead = 0;
  input.on('data', (d: Buffer | string) => {
    bytesRead += d.length;
    opts.onProgress?.(bytesRead, totalBytes);
  });
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  let error: CaptureFormatError | null = null;
  let decompressed = 0;
  try {
    for await (const out of gunzip as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted();
      decompressed += out.length;
      error = tryParse(() => parser.push(new Uint8Array(out.buffer, out.byteOffset, out.length)));
      if (error !== null) break;
      if (opts.afterChunk) await opts.afterChunk();
    }
    if (error === null) error = tryParse(() => parser.end());
  } catch (e) {
    if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('Z_')) {
      // Corrupt or cut-short gzip: report it like a format error at the decompressed offset.
      error = new CaptureFormatError(`gzip stream unreadable (${e.message})`, decompressed);
    } else {
      throw e;
    }
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
  return { bytesRead, consumed: parser.consumed, packets: packets(), error, compressed: 'gzip' };
}

export interface CaptureFileSniff {
  /** null when the (decompressed) start of the file is not a pcap or pcapng header. */
  format: CaptureFormat | null;
  compressed: 'gzip' | null;
  /** On-disk size in bytes. */
  fileSize: number;
  /** File-level header fields, when the header was complete in the sniffed bytes. */
  info: CaptureFileInfo | null;
  /** Link type of the first interface (pcap: the file's), or null when not seen. */
  linkType: number | null;
  /** Interfaces described within the sniffed bytes (pcapng may declare more later). */
  interfaces: CaptureInterface[];
}

const SNIFF_BYTES = 64 * 1024;

/** Identifies a capture file from its first bytes (gunzipping them if needed); never reads it all. */
export async function sniffCaptureFile(path: string): Promise<CaptureFileSniff> {
  const fh = await open(path, 'r');
  let head: Uint8Array;
  let fileSize: number;
  try {
    fileSize = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(SNIFF_BYTES, fileSize));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  let compressed: 'gzip' | null = null;
  if (isGzip(head)) {
    compressed = 'gzip';
    try {
      // Z_SYNC_FLUSH lets zlib return what it could inflate from a prefix of the stream.
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      head = new Uint8Array(0);
    }
  }
  const interfaces: CaptureInterface[] = [];
  let info: CaptureFileInfo | null = null;
  const format = head.length >= 4 ? detectCaptureFormat(head[0], head[1], head[2], head[3]) : null;
  if (format !== null) {
    const parser = createCaptureParser({
      onFileInfo: (i) => (info = i),
      onInterface: (i) => interfaces.push(i),
      onPacket: () => undefined,
    });
    // Only the header matters; a damaged or cut-off tail of the sniffed prefix is irrelevant here.
    tryParse(() => parser.push(head));
  }
  return {
    format,
    compressed,
    fileSize,
    info,
    linkType: interfaces.length > 0 ? interfaces[0].linkType : null,
    interfaces,
  };
}
