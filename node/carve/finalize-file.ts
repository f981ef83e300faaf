/**
 * From a received file (raw bytes spooled, hashed) to stored content and metadata records: the
 * as-sent bytes are placed in the store; when the sender applied content codings they are
 * undone into a second file. Decision: both are kept as records — the decoded file is what the
 * user got (what tshark's `http` export gives), the encoded one is what crossed the wire (tshark
 * with http.decompress_body:FALSE) and the only evidence left when decoding fails or is capped.
 * Content is deduplicated, so keeping both costs little.
 */
import { formatTs } from '../../common/time/timestamp.js';
import type { FileEnd, FileStart } from '../../common/carve/carve-sink.js';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { sanitizeFileName } from '../../common/carve/sanitize-name.js';
import { decodeFile, type DecodeLimits } from './content-decoder.js';
import { detectTypeOf } from './detect-type.js';
import { mimePartRecords } from './mail-parts.js';
import type { FileStore, PlacedFile } from './file-store.js';
import type { SpooledFile } from './spool-file.js';

export interface ReceivedFile {
  start: FileStart;
  end: FileEnd;
  raw: SpooledFile;
}

/** A record with the carver's file ids still unresolved (parents are finalized after their parts). */
export interface PendingRecord {
  record: CarvedFileRecord;
  fileId: number | null;
  parentFileId: number | null;
}

/**
 * Copies of carved files made while they are received (`tapline carve -o OUTDIR`): the carve asks
 * `nextPath()` for the copy of each file it receives (written alongside by the native spool
 * stage), and reports with `made` each copy that is the file of a record. Paths handed out but
 * never reported (files dropped, copies that failed, the worker stages, which make none) are the
 * owner's to remove; records without a copy are the owner's to copy.
 */
export interface CarveCopies {
  nextPath(): string;
  made(recordId: string, path: string): void;
}

export interface FinalizeContext {
  store: FileStore;
  flowId: string;
  limits: DecodeLimits;
  nextId: () => string;
  copies?: CarveCopies;
}

type Coverage = Pick<CarvedFileRecord, 'firstTs' | 'lastTs' | 'firstPacket' | 'lastPacket' | 'incomplete' | 'missingBytes'>;

export async function finalizeReceived(ctx: FinalizeContext, f: ReceivedFile): Promise<PendingRecord[]> {
  const { start, end } = f;
  const raw = await ctx.store.place(f.raw);
  const codings = start.codings;
  const coverage: Coverage = {
    firstTs: formatTs(start.first.sec, start.first.nsec),
    lastTs: formatTs(end.last.sec, end.last.nsec),
    firstPacket: start.first.packet,
    lastPacket: end.last.packet,
    incomplete: end.incomplete,
    missingBytes: end.missingBytes,
  };
  const base = baseRecord(ctx, start, coverage, end.notes);
  const pending = (r: CarvedFileRecord): PendingRecord => ({ record: r, fileId: start.id, parentFileId: start.parentId });
  if (codings.length === 0) {
    const rec = await contentRecord(ctx, base, raw, 'identity', { codings, status: 'identity', note: null });
    // a partial message (TOP, partial fetch) would give cut parts: only whole messages are split
    if (start.kind !== 'message' || start.partial) return [pending(rec)];
    return [pending(rec), ...(await mimePartRecords(ctx, rec, raw))];
  }
  // a byte range of an encoded representation cannot be decoded alone; the assembled file can
  if (start.range && !(start.range.start === 0 && start.range.total !== null && start.range.end === start.range.total - 1)) {
    return [pending(await contentRecord(ctx, base, raw, 'encoded', { codings, status: 'not-decoded', note: 'a byte range of an encoded representation: decoded only once assembled' }))];
  }
  const { records } = await decodeInto(ctx, base, raw, codings);
  return records.map(pending);
}

/** Decodes placed content; returns the decoded record (if any) and the encoded original record, linked. */
export async function decodeInto(ctx: FinalizeContext, base: Omit<CarvedFileRecord, ContentFields>, raw: PlacedFile, codings: string[]): Promise<{ records: CarvedFileRecord[] }> {
  let spool = ctx.store.newSpool();
  let outcome;
  try {
    const out = {
      write: (c: Uint8Array) => spool.write(c),
      reset: () => {
        spool.discard();
        spool = ctx.store.newSpool();
      },
    };
    outcome = await decodeFile(raw.path, raw.size, codings, out, ctx.limits);
  } catch (e) {
    spool.discard();
    throw e;
  }
  const encodedId = ctx.nextId();
  // capped: the partial output is dropped (a bomb's prefix is not evidence); failed with no output: nothing to keep
  if (outcome.status === 'capped' || outcome.status === 'unsupported' || (outcome.status === 'failed' && outcome.size === 0)) {
    spool.discard();
    return { records: [await contentRecord(ctx, base, raw, 'encoded', { codings, status: outcome.status, note: outcome.error }, encodedId)] };
  }
  const decoded = await ctx.store.place(spool.finish());
  const decodedId = ctx.nextId();
  // decoded as far as the data allowed: keep that prefix, flagged, next to the original
  const error = outcome.status === 'failed' ? outcome.error : null;
  const trailing = outcome.status === 'decoded' && outcome.trailing > 0 ? `ignored ${outcome.trailing} bytes after the end of the encoded data` : null;
  const encoding: CarvedFileRecord['encoding'] = { codings, status: outcome.status, note: error ?? trailing };
  const decodedBase = error === null ? base : { ...base, incomplete: true, notes: [...base.notes, `decoding stopped: ${error}`] };
  const decodedRecord = await contentRecord(ctx, decodedBase, decoded, 'decoded', encoding, decodedId);
  decodedRecord.originalId = encodedId;
  const encodedRecord = await contentRecord(ctx, base, raw, 'encoded', encoding, encodedId);
  encodedRecord.decodedId = decodedId;
  return { records: [decodedRecord, encodedRecord] };
}

type ContentFields = 'id' | 'content' | 'sha256' | 'md5' | 'sha1' | 'size' | 'mime' | 'ext' | 'mimeSource' | 'encoding';

async function contentRecord(ctx: FinalizeContext, base: Omit<CarvedFileRecord, ContentFields>, file: PlacedFile, content: CarvedFileRecord['content'], encoding: CarvedFileRecord['encoding'], id = ctx.nextId()): Promise<CarvedFileRecord> {
  const t = await detectTypeOf(file.head, file.size);
  if (file.copy && file.copy.error === null) ctx.copies?.made(id, file.copy.path);
  return { ...base, id, content, sha256: file.sha256, md5: file.md5, sha1: file.sha1, size: file.size, mime: t.mime, ext: t.ext, mimeSource: t.source, encoding };
}

export function baseRecord(ctx: FinalizeContext, start: FileStart, coverage: Coverage, notes: readonly string[]): Omit<CarvedFileRecord, ContentFields> {
  const h = start.http;
  return {
    v: 1,
    flowId: ctx.flowId,
    protocol: start.protocol ?? 'http',
    kind: start.kind,
    declaredType: start.declaredType,
    name: sanitizeFileName(start.name),
    direction: start.direction,
    url: h.url === null ? null : h.url.slice(0, 16384),
    host: h.host,
    userAgent: h.userAgent === null ? null : h.userAgent.slice(0, 2048),
    method: h.method,
    status: h.status,
    transaction: h.transaction,
    range: start.range,
    email: start.email ?? null,
    parentId: null,
    originalId: null,
    decodedId: null,
    sourceIds: [],
    ...coverage,
    notes: notes.slice(0, 32).map((n) => n.slice(0, 1000)),
    partial: start.partial ?? null,
  };
}
