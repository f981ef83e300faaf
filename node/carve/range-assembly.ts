/**
 * Rebuilding a file from HTTP 206 partial responses: the as-sent pieces of one representation
 * (same URL, same total length, same codings) whose complete ranges cover it from byte 0 to the
 * end are copied, in order, into a new stored file (then decoded if the representation was
 * content-encoded). Pieces that do not cover their file stay as they are.
 */
import { open } from 'node:fs/promises';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { coverPlan, type RangePiece } from '../../common/carve/range-coverage.js';
import { detectTypeOf } from './detect-type.js';
import { decodeInto, type FinalizeContext, type PendingRecord } from './finalize-file.js';
import type { PlacedFile } from './file-store.js';

const BLOCK = 1024 * 1024;

export async function assembleRanges(ctx: FinalizeContext, records: readonly PendingRecord[]): Promise<PendingRecord[]> {
  const groups = new Map<string, CarvedFileRecord[]>();
  for (const { record: r } of records) {
    if (!r.range || r.range.total === null || r.content === 'decoded') continue;
    const key = JSON.stringify([r.url ?? r.name, r.range.total, r.encoding.codings]);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: PendingRecord[] = [];
  for (const pieces of groups.values()) {
    const total = pieces[0].range?.total ?? 0;
    // one piece that is already the whole file needs no assembly
    if (pieces.some((p) => p.range && p.range.start === 0 && p.range.end === total - 1 && !p.incomplete)) continue;
    const plan = coverPlan(
      pieces.map((p): RangePiece<CarvedFileRecord> => ({ key: p, range: p.range ?? { start: 0, end: -1, total }, size: p.size, complete: !p.incomplete })),
      total,
    );
    if (!plan) continue;
    const spool = ctx.store.newSpool();
    try {
      for (const step of plan) await copyRange(ctx.store.contentPath(step.key.sha256), step.offset, step.length, (b) => spool.write(b));
    } catch (e) {
      spool.discard();
      throw e;
    }
    const placed: PlacedFile = await ctx.store.place(spool.finish());
    const used = [...new Set(plan.map((s) => s.key))];
    const first = used.reduce((a, b) => (a.firstPacket <= b.firstPacket ? a : b));
    const last = used.reduce((a, b) => (a.lastPacket >= b.lastPacket ? a : b));
    const base = {
      ...first,
      kind: 'range-assembled' as const,
      range: null,
      parentId: null,
      originalId: null,
      decodedId: null,
      sourceIds: used.map((p) => p.id),
      firstTs: first.firstTs,
      lastTs: last.lastTs,
      firstPacket: first.firstPacket,
      lastPacket: last.lastPacket,
      incomplete: false,
      missingBytes: 0,
      notes: [`assembled from ${used.length} partial responses (${plan.length} copy steps)`],
    };
    const codings = first.encoding.codings;
    if (codings.length === 0) {
      const t = await detectTypeOf(placed.head, placed.size);
      const record: CarvedFileRecord = { ...base, id: ctx.nextId(), content: 'identity', sha256: placed.sha256, md5: placed.md5, sha1: placed.sha1, size: placed.size, mime: t.mime, ext: t.ext, mimeSource: t.source, encoding: { codings, status: 'identity', note: null } };
      out.push({ record, fileId: null, parentFileId: null });
    } else {
      const { records } = await decodeInto(ctx, base, placed, codings);
      for (const record of records) out.push({ record, fileId: null, parentFileId: null });
    }
  }
  return out;
}

async function copyRange(path: string, offset: number, length: number, write: (b: Uint8Array) => void): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(Math.min(BLOCK, length));
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - done), offset + done);
      if (bytesRead === 0) throw new Error(`${path}: shorter than its record says`);
      write(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
}
