/**
 * A store is a directory: store.json (the captures it holds, by path and content fingerprint) and
 * indexes/<capture id>.tpi (derived, rebuilt whenever missing, torn or stale). Captures are indexed
 * in place and never modified.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FlowTable } from '../../common/flow/flow-table.js';
import type { FlowQuery, FlowRecord, TupleQuery } from '../../common/index/index-reader.js';
import { compareTs } from '../../common/time/timestamp.js';
import { sniffCaptureFile } from '../capture/read-capture-file.js';
import { DEFAULT_IMPORT_MEMORY_BUDGET, buildIndex, type BuiltIndex } from './build-index.js';
import type { GrowingFile } from './growing-file.js';
import { captureFingerprint } from './capture-fingerprint.js';
import { IndexFile, IndexUnusableError } from './index-file.js';
import { StoreLock } from './store-lock.js';
import { SegmentCatalog } from './live/segment-catalog.js';
import { FlowChains, mergePieceRecords, pieceRef, refFile, refFlow, type ChainBuilder, type PieceRef } from './flow-chains.js';
import { readManifest, writeManifest, type CaptureEntry, type Manifest } from './store-manifest.js';

export interface StoreOpenOptions {
  /** Create the directory and an empty manifest when absent. */
  create?: boolean;
  /** Warnings (rebuilt indexes, missing captures), one line each. */
  log?: (line: string) => void;
  /**
   * Flow-table memory an import may use before it splits the capture's index into parts
   * (bytes; default DEFAULT_IMPORT_MEMORY_BUDGET). Infinity: never split.
   */
  importMemoryBudget?: number;
}

/** The id of index part n of the capture with this fingerprint (part 0: the capture's own id). */
export function partId(fingerprint: string, n: number): string {
  if (n === 0) return fingerprint.slice(0, 12);
  return createHash('sha256').update(`${fingerprint}/index-part/${n}`).digest('hex').slice(0, 12);
}

export type ImportStatus = 'indexed' | 'reindexed' | 'unchanged' | 'relinked' | 'duplicate' | 'failed';

export interface ImportResult {
  path: string;
  status: ImportStatus;
  captureId: string | null;
  packets: number;
  flows: number;
  bytes: number;
  indexBytes: number;
  /** Damage found while reading (the readable part was indexed), or why the import failed. */
  message: string | null;
}

export interface ImportOptions {
  onFileStart?: (path: string, index: number, total: number) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** The flow table of the capture being indexed, after each read (see BuildIndexOptions.onFlowTable). */
  onFlowTable?: (captureId: string, table: FlowTable, bytesRead: number, totalBytes: number) => void;
  onResult?: (r: ImportResult) => void;
  signal?: AbortSignal;
  /** This import's flow-table budget (bytes) instead of the store's (StoreOpenOptions.importMemoryBudget). */
  memoryBudget?: number;
}

/** A flow found by a query, with where it lives. */
export interface FoundFlow {
  id: string;
  capture: CaptureEntry;
  /** The flow; for a flow of several live-segment pieces, their merged record (mergePieceRecords). */
  record: FlowRecord;
  /**
   * A flow that crossed live segment rotations: its pieces in order (the first is this flow's
   * id and capture). Readers (slices, follow, carving) read the packets of every piece.
   */
  pieces?: FoundFlow[];
}

export class Store {
  private manifest: Manifest;
  private readonly open = new Map<string, IndexFile>();
  private readonly log: (line: string) => void;
  /** Live capture segments (STORE/segments/), listed beside the imported captures. */
  private readonly segments: SegmentCatalog;
  /**
   * The last FlowChains built, for the index files it was built from (reused while they are
   * current), and the linking state before the last file (resumed when only that one changed).
   */
  private chainCache: { files: IndexFile[]; chains: FlowChains; beforeLast: ChainBuilder } | null = null;
  /** Index parts after the first, by id: the capture and part number (see `captures`). */
  private parts = new Map<string, { capture: CaptureEntry; number: number }>();
  private readonly importBudget: number;

  private constructor(
    readonly dir: string,
    manifest: Manifest,
    opts: StoreOpenOptions,
  ) {
    this.manifest = manifest;
    this.log = opts.log ?? (() => undefined);
    this.segments = new SegmentCatalog(dir, this.log);
    this.importBudget = opts.importMemoryBudget ?? DEFAULT_IMPORT_MEMORY_BUDGET;

    this.listParts();
  }

  /** Recomputes the part ids after the manifest changed. */
  private listParts(): void {
    this.parts = new Map();
    for (const c of this.manifest.captures) for (let n = 1; n < (c.parts ?? 1); n++) this.parts.set(partId(c.fingerprint, n), { capture: c, number: n });
  }

  /** The entries of a capture's index parts (one: the capture itself when indexed whole). */
  private partEntries(c: CaptureEntry): CaptureEntry[] {
    const out = [c];
    for (let n = 1; n < (c.parts ?? 1); n++) out.push({ ...c, id: partId(c.fingerprint, n) });
    return out;
  }

  /**
   * The capture an entry of `captures` belongs to: itself, or for an index part after the first
   * (a capture indexed in parts lists one entry per part) the capture's own entry.
   */
  captureOf(entry: CaptureEntry): CaptureEntry {
    return this.parts.get(entry.id)?.capture ?? entry;
  }

  /** Part number of an entry of `captures` (0 for captures indexed whole and live segments). */
  partNumber(entry: CaptureEntry): number {
    return this.parts.get(entry.id)?.number ?? 0;
  }

  static async open(dir: string, opts: StoreOpenOptions = {}): Promise<Store> {
    const abs = resolve(dir);
    let m = await readManifest(abs);
    if (!m) {
      if (!opts.create) {
        const exists = await stat(abs).then(
          () => true,
          () => false,
        );
        throw new Error(exists ? `${abs} is not a Tapline store (no store.json); create one with \`tapline import --store ${dir} FILE\`` : `store ${abs} does not exist`);
      }
      await mkdir(join(abs, 'indexes'), { recursive: true });
      m = { tapline: 'store', version: 1, captures: [] };
      await writeManifest(abs, m);
    }
    const store = new Store(abs, m, opts);
    await store.segments.refresh();
    return store;
  }

  /**
   * Imported captures (a capture indexed in parts: one entry per part, in order, each with its
   * own id; captureOf gives the capture), then live segments (as of the last query).
   */
  get captures(): readonly CaptureEntry[] {
    const segs = this.segments.captures;
    const imported = this.parts.size ? this.manifest.captures.flatMap((c) => this.partEntries(c)) : this.manifest.captures;
    return segs.length ? [...imported, ...segs] : imported;
  }

  /** The imported captures themselves (one entry per capture, whatever its index parts). */
  get importedCaptures(): readonly CaptureEntry[] {
    return this.manifest.captures;
  }

  indexPath(id: string): string {
    return join(this.dir, 'indexes', `${id}.tpi`);
  }

  // ---- import ----

  async import(paths: string[], opts: ImportOptions = {}): Promise<ImportResult[]> {
    const files: string[] = [];
    const results: ImportResult[] = [];
    const fail = (path: string, message: string): void => {
      const r: ImportResult = { path, status: 'failed', captureId: null, packets: 0, flows: 0, bytes: 0, indexBytes: 0, message };
      results.push(r);
      opts.onResult?.(r);
    };
    for (const p of paths) {
      const abs = resolve(p);
      const st = await stat(abs).catch(() => null);
      if (!st) fail(abs, 'no such file or directory');
      else if (st.isDirectory()) files.push(...(await findCaptures(abs)));
      else files.push(abs);
    }
    const lock = await StoreLock.acquire(this.dir);
    try {
      for (let i = 0; i < files.length; i++) {
        if (opts.signal?.aborted) break;
        opts.onFileStart?.(files[i], i, files.length);
        let r: ImportResult;
        try {
          r = await this.importOne(files[i], opts);
        } catch (e) {
          if (opts.signal?.aborted) break;
          r = { path: files[i], status: 'failed', captureId: null, packets: 0, flows: 0, bytes: 0, indexBytes: 0, message: (e as Error).message };
        }
        results.push(r);
        opts.onResult?.(r);
      }
    } finally {
      await lock.release();
    }
    return results;
  }

  private async importOne(file: string, opts: ImportOptions): Promise<ImportResult> {
    const path = await realpath(file);
    const sniff = await sniffCaptureFile(path);
    if (!sniff.format) throw new Error(sniff.fileSize === 0 ? 'empty file (0 bytes): not a capture' : 'not a pcap or pcapng file (unknown magic at byte offset 0)');
    const fp = await captureFingerprint(path);
    const id = fp.fingerprint.slice(0, 12);
    const caps = this.manifest.captures;
    const samePath = caps.find((c) => c.path === path);
    const sameContent = caps.find((c) => c.fingerprint === fp.fingerprint);
    const base = { path, captureId: id, packets: 0, flows: 0, bytes: fp.size, indexBytes: 0, message: null };
    if (sameContent && sameContent.path !== path) {
      const otherExists = await stat(sameContent.path).then(
        () => true,
        () => false,
      );
      if (otherExists) return { ...base, status: 'duplicate', message: `same content as ${sameContent.path}, already indexed` };
      sameContent.path = path;
      sameContent.mtimeMs = fp.mtimeMs;
      await writeManifest(this.dir, this.manifest);
      this.closeIndex(sameContent.id);
      return { ...base, status: 'relinked', message: 'capture moved: index re-linked to the new path' };
    }
    if (samePath && samePath.fingerprint === fp.fingerprint) {
      const ok = await this.partsIntact(samePath);
      if (ok) return { ...base, status: 'unchanged', packets: ok.packets, flows: ok.flows };
    }
    const budget = opts.memoryBudget ?? this.importBudget;
    const built = await buildIndex(path, this.indexPath(id), fp, this.buildOptions(fp.fingerprint, budget, opts));
    const entry: CaptureEntry = { id, path, fingerprint: fp.fingerprint, size: fp.size, mtimeMs: fp.mtimeMs, importedAt: new Date().toISOString() };
    this.setParts(entry, built, budget);
    const status: ImportStatus = samePath ? 'reindexed' : 'indexed';
    for (const old of caps.filter((c) => c.path === path || c.id === id)) this.closeCapture(old);
    this.manifest.captures = caps.filter((c) => c.path !== path && c.id !== id);
    this.manifest.captures.push(entry);
    this.listParts();
    await writeManifest(this.dir, this.manifest);
    return { ...base, status, ...builtCounts(built) };
  }

  /** Build options shared by every import path: the budget, where parts go, the flow feed. */
  private buildOptions(fingerprint: string, budget: number, opts: ImportOptions) {
    const onTable = opts.onFlowTable;
    return {
      onProgress: opts.onProgress,
      onFlowTable: onTable && ((table: FlowTable, done: number, total: number, part: number) => onTable(partId(fingerprint, part), table, done, total)),
      signal: opts.signal,
      memoryBudget: budget,
      partPath: (n: number) => this.indexPath(partId(fingerprint, n)),
    };
  }

  /** Records a build's parts (and the budget, so a rebuild splits alike) in the entry. */
  private setParts(entry: CaptureEntry, built: BuiltIndex, budget: number): void {
    if (built.parts > 1) {
      entry.parts = built.parts;
      entry.memoryBudget = Number.isFinite(budget) ? budget : undefined;
    } else {
      delete entry.parts;
      delete entry.memoryBudget;
    }
  }

  /** Packets and flows of a capture whose every index part opens and matches it; else null. */
  private async partsIntact(c: CaptureEntry): Promise<{ packets: number; flows: number } | null> {
    let packets = 0;
    let flows = 0;
    const n = c.parts ?? 1;
    for (let k = 0; k < n; k++) {
      const f = await IndexFile.open(this.indexPath(partId(c.fingerprint, k))).catch(() => null);
      if (!f) return null;
      const ok = partMatches(f, c, k);
      packets += f.meta.packets;
      flows += f.meta.flowCount - f.view.continuations.length / 3;
      await f.close();
      if (!ok) return null;
    }
    return { packets, flows };
  }

  /**
   * Imports a capture while it arrives (a browser upload: node/store/growing-file.ts): the import
   * reads the bytes as they come and ends at the declared size, so flows are published
   * (onFlowTable) while the upload runs. `fingerprint` is the capture's content fingerprint as
   * the sender computed it (the capture id must be known before the last byte arrives); it is
   * checked against the complete file before anything is recorded. Nothing is recorded unless
   * every byte arrived and the fingerprint matches: an upload that stops or lies fails with the
   * reason, the index is never written and the manifest is unchanged.
   *
   * Returns null, having read nothing, when the capture cannot be imported this way (gzip input,
   * content or path already in the store): import it once complete with `import`.
   */
  async importGrowing(file: GrowingFile, fingerprint: string, opts: ImportOptions = {}): Promise<ImportResult | null> {
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new Error('a capture fingerprint is 64 hex digits');
    // the head decides whether the capture can be read as it arrives
    await file.waitFor(64 * 1024);
    const path = resolve(file.path);
    const sniff = await sniffCaptureFile(path);
    if (!sniff.format || sniff.compressed) return null;
    if (this.manifest.captures.some((c) => c.fingerprint === fingerprint || c.path === path)) return null;
    const lock = await StoreLock.acquire(this.dir);
    let r: ImportResult;
    try {
      opts.onFileStart?.(path, 0, 1);
      r = await this.importArriving(path, file, fingerprint, opts);
    } catch (e) {
      r = { path, status: 'failed', captureId: null, packets: 0, flows: 0, bytes: file.size, indexBytes: 0, message: (e as Error).message };
    } finally {
      await lock.release();
    }
    opts.onResult?.(r);
    return r;
  }

  private async importArriving(path: string, file: GrowingFile, fingerprint: string, opts: ImportOptions): Promise<ImportResult> {
    const id = fingerprint.slice(0, 12);
    const budget = opts.memoryBudget ?? this.importBudget;
    const built = await buildIndex(
      path,
      this.indexPath(id),
      { fingerprint, size: file.size, mtimeMs: 0 },
      {
        ...this.buildOptions(fingerprint, budget, opts),
        open: () => file.open(),
        finalSource: async () => {
          const fp = await captureFingerprint(path);
          if (fp.size !== file.size) throw new Error(`the upload ended at ${fp.size} of ${file.size} bytes; nothing was imported`);
          if (fp.fingerprint !== fingerprint) throw new Error('the uploaded bytes do not match the fingerprint sent with the upload; nothing was imported (upload the file again)');
          return fp;
        },
      },
    );
    const fp = built.meta.source;
    const entry: CaptureEntry = { id, path, fingerprint, size: fp.size, mtimeMs: fp.mtimeMs, importedAt: new Date().toISOString() };
    this.setParts(entry, built, budget);
    for (const old of this.manifest.captures.filter((c) => c.path === path || c.id === id)) this.closeCapture(old);
    this.manifest.captures = this.manifest.captures.filter((c) => c.path !== path && c.id !== id);
    this.manifest.captures.push(entry);
    this.listParts();
    await writeManifest(this.dir, this.manifest);
    return { path, status: 'indexed', captureId: id, bytes: fp.size, ...builtCounts(built) };
  }

  private closeIndex(id: string): void {
    const f = this.open.get(id);
    if (f) {
      this.open.delete(id);
      void f.close();
    }
  }

  /** Closes every index part of a capture. */
  private closeCapture(c: CaptureEntry): void {
    for (const e of this.partEntries(c)) this.closeIndex(e.id);
  }

  // ---- reading ----

  /**
   * The usable index of an entry of `captures`: verified, and rebuilt from the capture when
   * missing, torn or stale (for a capture indexed in parts: every part, when any is unusable).
   * Returns null (after logging why) when neither the index nor the capture is usable.
   */
  async index(entry: CaptureEntry): Promise<IndexFile | null> {
    if (this.segments.has(entry.id)) return this.segments.index(entry.id);
    const cached = this.open.get(entry.id);
    if (cached) return cached;
    const part = this.parts.get(entry.id);
    const capture = part?.capture ?? entry;
    const files = await this.captureIndexes(capture);
    return files?.[part?.number ?? 0] ?? null;
  }

  /** Every index part of an imported capture, opened (or rebuilt) and cached; null if unusable. */
  private async captureIndexes(entry: CaptureEntry): Promise<IndexFile[] | null> {
    const st = await stat(entry.path).catch(() => null);
    let reason: string | null = null;
    const files: IndexFile[] = [];
    const n = entry.parts ?? 1;
    for (let k = 0; k < n && reason === null; k++) {
      const path = this.indexPath(partId(entry.fingerprint, k));
      const cached = this.open.get(partId(entry.fingerprint, k));
      try {
        const file = cached ?? (await IndexFile.open(path));
        files.push(file);
        if (file.meta.source.fingerprint !== entry.fingerprint) reason = 'index belongs to other content';
        else if (!partMatches(file, entry, k)) reason = n > 1 ? `index part ${k} of ${n} belongs to another build` : 'index was built in parts, the store lists it whole';
      } catch (e) {
        if (!(e instanceof IndexUnusableError)) throw e;
        reason = n > 1 ? `index part ${k} of ${n}: ${e.reason}` : e.reason;
      }
    }
    if (st && (st.size !== entry.size || st.mtimeMs !== entry.mtimeMs)) {
      const fp = await captureFingerprint(entry.path);
      if (fp.fingerprint !== entry.fingerprint) {
        // the capture grew or was rewritten: the index is stale (flow ids keep the capture id)
        reason = 'the capture changed since it was indexed';
        this.closeCapture(entry);
        entry.fingerprint = fp.fingerprint;
      }
      entry.size = fp.size;
      entry.mtimeMs = fp.mtimeMs;
    }
    if (reason === null) {
      files.forEach((f, k) => this.open.set(partId(entry.fingerprint, k), f));
      return files;
    }
    for (const f of files) if (!this.isOpen(f)) await f.close();
    this.closeCapture(entry);
    if (!st) {
      this.log(`${entry.path}: capture is missing and its index is unusable (${reason}); import the capture again to restore it`);
      return null;
    }
    this.log(`${this.indexPath(entry.id)}: ${reason}; rebuilding from ${entry.path}`);
    const lock = await StoreLock.acquire(this.dir);
    try {
      const budget = entry.memoryBudget ?? this.importBudget;
      const built = await buildIndex(entry.path, this.indexPath(entry.id), { fingerprint: entry.fingerprint, size: entry.size, mtimeMs: entry.mtimeMs }, this.buildOptions(entry.fingerprint, budget, {}));
      this.setParts(entry, built, budget);
      this.listParts();
      await writeManifest(this.dir, this.manifest);
    } finally {
      await lock.release();
    }
    const rebuilt: IndexFile[] = [];
    for (let k = 0; k < (entry.parts ?? 1); k++) {
      const f = await IndexFile.open(this.indexPath(partId(entry.fingerprint, k)));
      this.open.set(partId(entry.fingerprint, k), f);
      rebuilt.push(f);
    }
    return rebuilt;
  }

  private isOpen(f: IndexFile): boolean {
    for (const x of this.open.values()) if (x === f) return true;
    return false;
  }

  /** Opens every capture's index (rebuilding where needed); returns the usable ones. */
  async indexes(): Promise<{ entry: CaptureEntry; file: IndexFile }[]> {
    const out: { entry: CaptureEntry; file: IndexFile }[] = [];
    await this.segments.refresh();
    for (const c of this.manifest.captures) {
      // (a rebuild may change the number of parts: list them after it)
      await this.index(c);
      for (const entry of this.partEntries(c)) {
        const file = await this.index(entry);
        if (file) out.push({ entry, file });
      }
    }
    for (const entry of this.segments.captures) {
      const file = await this.index(entry);
      if (file) out.push({ entry, file });
    }
    return out;
  }

  /** Whether a capture entry is a live segment (its flows may continue in other segments). */
  isSegment(id: string): boolean {
    return this.segments.has(id);
  }

  /** The pieces of flows that crossed segment rotations, linked (see node/store/flow-chains.ts). */
  private chainsFor(files: readonly { entry: CaptureEntry; file: IndexFile }[]): FlowChains {
    const c = this.chainCache;
    const same = (k: number): boolean => c !== null && c.files[k] === files[k].file;
    if (c && c.files.length === files.length && files.every((_, k) => same(k))) return c.chains;
    const inputs = files.map(({ entry, file }) => ({ view: file.view, segment: this.segments.has(entry.id), capture: this.captureOf(entry).id, part: this.partNumber(entry) }));
    if (c && files.length > 0 && c.files.length === files.length && files.slice(0, -1).every((_, k) => same(k))) {
      // only the open segment's snapshot changed: link it alone against the state before it
      const chains = FlowChains.resume(c.beforeLast, inputs);
      this.chainCache = { files: files.map((f) => f.file), chains, beforeLast: c.beforeLast };
      return chains;
    }
    const { chains, beforeLast } = FlowChains.buildResumable(inputs);
    this.chainCache = { files: files.map((f) => f.file), chains, beforeLast };
    return chains;
  }

  /** Flow `ref` as found: one piece, or the merged flow of its pieces. */
  private foundAt(files: readonly { entry: CaptureEntry; file: IndexFile }[], chains: FlowChains, head: PieceRef): FoundFlow {
    const one = (r: PieceRef): FoundFlow => {
      const { entry, file } = files[refFile(r)];
      return { id: `${entry.id}-${refFlow(r)}`, capture: entry, record: file.view.record(refFlow(r)) };
    };
    const refs = chains.pieces(head);
    if (refs.length === 1) return one(head);
    const pieces = refs.map(one);
    return { id: pieces[0].id, capture: pieces[0].capture, record: mergePieceRecords(pieces.map((p) => p.record)), pieces };
  }

  /** Number of flows: every capture's flows, a flow across segment rotations counted once. */
  async flowCount(): Promise<number> {
    const files = await this.indexes();
    return files.reduce((n, { file }) => n + file.view.flowCount, 0) - this.chainsFor(files).continuations;
  }

  /**
   * Flows matching q across all captures, newest first (by first packet time), at most limit. A
   * flow that crossed live segment rotations is one flow (its pieces merged, `pieces` set) when
   * any of its pieces matches; its id is its first piece's. Only the `limit` newest are kept
   * while scanning, and only those become records.
   */
  async findFlows(q: FlowQuery, limit = Infinity): Promise<FoundFlow[]> {
    const files = await this.indexes();
    const chains = this.chainsFor(files);
    const top = new NewestFirst(limit, (f) => files[f].entry.id);
    const seenHeads = new Set<PieceRef>();
    files.forEach(({ file }, f) => {
      const v = file.view;
      const linked = chains.linked(f);
      for (const i of v.match(q)) {
        if (linked && chains.isChained(f, i)) {
          // a flow of several pieces: once, as its first piece (which has the flow's first time)
          const h = chains.head(f, i);
          if (seenHeads.has(h)) continue;
          seenHeads.add(h);
          const hv = files[refFile(h)].file.view;
          top.offer(hv.firstSec(refFlow(h)), hv.firstNsec(refFlow(h)), refFile(h), refFlow(h));
        } else top.offer(v.firstSec(i), v.firstNsec(i), f, i);
      }
    });
    return top.sorted().map(({ f, i }) => this.foundAt(files, chains, pieceRef(f, i)));
  }

  /** Flows carrying a 5-tuple (either direction) overlapping the time window, in capture order. */
  async findTuple(q: TupleQuery): Promise<FoundFlow[]> {
    const all: FoundFlow[] = [];
    for (const { entry, file } of await this.indexes()) {
      for (const i of file.view.matchTuple(q)) all.push({ id: `${entry.id}-${i}`, capture: entry, record: file.view.record(i) });
    }
    return all;
  }

  /**
   * The flow with this id. The id of any piece of a flow that crossed live segment rotations
   * gives the whole flow (all pieces, under its first piece's id).
   */
  async flowById(id: string): Promise<FoundFlow | null> {
    const m = /^([0-9a-f]{12})-(\d{1,10})$/.exec(id);
    if (!m) throw new Error(`"${id}" is not a flow id (expected <12 hex digits>-<number>, as printed by \`tapline flows\`)`);
    await this.segments.refresh();
    const entry = this.captures.find((c) => c.id === m[1]);
    if (!entry) return null;
    const n = Number(m[2]);
    if (this.segments.has(entry.id) || this.parts.has(entry.id) || entry.parts !== undefined) {
      // a flow may have pieces in other segments or index parts
      const files = await this.indexes();
      const f = files.findIndex((x) => x.entry.id === entry.id);
      if (f < 0 || n >= files[f].file.view.flowCount) return null;
      const chains = this.chainsFor(files);
      return this.foundAt(files, chains, chains.head(f, n));
    }
    const file = await this.index(entry);
    if (!file || n >= file.view.flowCount) return null;
    return { id, capture: entry, record: file.view.record(n) };
  }


  async close(): Promise<void> {
    for (const f of this.open.values()) await f.close();
    this.open.clear();
    await this.segments.close();
  }
}

/** Whether an opened index is part k of capture c as the manifest lists it. */
function partMatches(f: IndexFile, c: CaptureEntry, k: number): boolean {
  const p = f.meta.part;
  return (c.parts ?? 1) > 1 ? p?.number === k : p === undefined;
}

function builtCounts(built: BuiltIndex): Pick<ImportResult, 'packets' | 'flows' | 'indexBytes' | 'message'> {
  const damage = built.meta.damage;
  return {
    packets: built.packets,
    flows: built.flows,
    indexBytes: built.indexBytes,
    message: damage ? `${damage.message}; indexed the ${built.packets} packets before it` : null,
  };
}

/** Capture files below dir (pcap, pcapng, gzip of either), found by their magic bytes. */
async function findCaptures(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await sniffCaptureFile(p).catch(() => null);
        if (s?.format) out.push(p);
      }
    }
  };
  await walk(dir);
  return out;
}

interface Ranked {
  sec: number;
  nsec: number;
  f: number;
  i: number;
}

/**
 * The `limit` newest flows offered (first time descending; ties: capture id, then flow number,
 * ascending), kept in a bounded heap whose root is the one that would be dropped next.
 */
class NewestFirst {
  private readonly heap: Ranked[] = [];
  constructor(
    private readonly limit: number,
    private readonly captureId: (f: number) => string,
  ) {}

  /** Negative when a comes before b in the output. */
  private cmp(a: Ranked, b: Ranked): number {
    const t = compareTs(b.sec, b.nsec, a.sec, a.nsec);
    if (t !== 0) return t;
    if (a.f !== b.f) {
      const x = this.captureId(a.f);
      const y = this.captureId(b.f);
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.i - b.i;
  }

  offer(sec: number, nsec: number, f: number, i: number): void {
    if (this.limit <= 0) return;
    const h = this.heap;
    const e = { sec, nsec, f, i };
    if (h.length < this.limit) {
      // sift up: the root is the latest in output order
      h.push(e);
      let k = h.length - 1;
      while (k > 0) {
        const p = (k - 1) >> 1;
        if (this.cmp(h[k], h[p]) <= 0) break;
        [h[k], h[p]] = [h[p], h[k]];
        k = p;
      }
      return;
    }
    if (this.cmp(e, h[0]) >= 0) return;
    h[0] = e;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < h.length && this.cmp(h[l], h[m]) > 0) m = l;
      if (r < h.length && this.cmp(h[r], h[m]) > 0) m = r;
      if (m === k) break;
      [h[k], h[m]] = [h[m], h[k]];
      k = m;
    }
  }

  sorted(): Ranked[] {
    return this.heap.sort((a, b) => this.cmp(a, b));
  }
}
