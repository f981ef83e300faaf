/**
 * A store is a directory: store.json (the captures it holds, by path and content fingerprint) and
 * indexes/<capture id>.tpi (derived, rebuilt whenever missing, torn or stale). Captures are indexed
 * in place and never modified.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FlowTable } from '../../common/flow/flow-table.js';
import type { FlowQuery, FlowRecord, IndexView, TupleQuery } from '../../common/index/index-reader.js';
import { compareTs } from '../../common/time/timestamp.js';
import { sniffCaptureFile } from '../capture/read-capture-file.js';
import { DEFAULT_IMPORT_MEMORY_BUDGET, buildIndex, type BuiltIndex } from './build-index.js';
import type { GrowingFile } from './growing-file.js';
import { captureFingerprint } from './capture-fingerprint.js';
import { IndexFile, IndexOffsets, IndexUnusableError, type IndexFileIdentity } from './index-file.js';
import type { IndexMeta } from '../../common/index/index-format.js';
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
  /**
   * Bytes of imported indexes (flow records, postings, time order) kept loaded between reads
   * (default DEFAULT_INDEX_MEMORY); an index in use is loaded whatever this says.
   */
  indexMemory?: number;
}

/** Imported indexes whose Offsets reader may keep a file open at once (Store.packetOffsets). */
const MAX_OPEN_OFFSET_READERS = 64;

/** Default cache of loaded indexes (StoreOpenOptions.indexMemory). */
export const DEFAULT_INDEX_MEMORY = 128 * 1024 * 1024;

interface PartSummary {
  flowCount: number;
  /** Reads flows' packet offsets without the index loaded (shared with the IndexFile while loaded). */
  offsets: IndexOffsets;
  /** The index's Continuations section (links to flows of earlier parts). */
  continuations: Uint32Array;
  meta: IndexMeta;
  /** The index file. */
  path: string;
}

/** An index as queries list it before reading it (Store.indexSummaries). */
export interface IndexSummary extends PartSummary {
  entry: CaptureEntry;
  segment: boolean;
  /** The capture's id (its own for a segment) and the part number (0 unless indexed in parts). */
  capture: string;
  part: number;
  /** A live segment's index view (always loaded: segments are linked by key and time). */
  view?: IndexView;
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
  private readonly log: (line: string) => void;
  /** Live capture segments (STORE/segments/), listed beside the imported captures. */
  private readonly segments: SegmentCatalog;
  /**
   * The last FlowChains built, for the index files it was built from (reused while they are
   * current), and the linking state before the last file (resumed when only that one changed).
   */
  private chainCache: { keys: object[]; chains: FlowChains; beforeLast: ChainBuilder } | null = null;
  /** Imported indexes loaded, least recently used first (see "reading" below). */
  private readonly open = new Map<string, IndexFile>();
  private loadedBytes = 0;
  private peakLoaded = 0;
  private readonly indexMemory: number;
  /** Identity of each index file whose CRC this process verified. */
  private readonly verified = new Map<string, IndexFileIdentity>();
  /** Imported captures whose parts were checked this process: id → fingerprint checked. */
  private readonly validated = new Map<string, string>();
  /** What queries need of every imported index without loading it, by part id. */
  private readonly summaries = new Map<string, PartSummary>();
  /** Offsets readers recently used (packetOffsets), least recently first. */
  private readonly readers = new Set<IndexOffsets>();
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
    this.indexMemory = opts.indexMemory ?? DEFAULT_INDEX_MEMORY;
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

  /** Whether an entry of `captures` is a live segment (as of the last query). */
  isLiveSegment(id: string): boolean {
    return this.segments.has(id);
  }

  /** Whether a live segment listed earlier is gone now the way retention deletes one (re-reads the segment listing). */
  liveSegmentDeleted(id: string): Promise<boolean> {
    return this.segments.deleted(id);
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
      const ok = partProblem(f, c, k) === null;
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
    this.summaries.delete(id);
    if (f) {
      this.open.delete(id);
      this.loadedBytes -= f.loadedBytes;
      void f.close();
    }
  }

  /** Closes every index part of a capture and forgets they were checked. */
  private closeCapture(c: CaptureEntry): void {
    this.validated.delete(c.id);
    for (const e of this.partEntries(c)) this.closeIndex(e.id);
  }

  // ---- reading ----
  //
  // Memory: an imported capture's indexes are loaded (flow records, postings, time order: ~136
  // bytes per flow) on demand and kept in a least-recently-used cache of at most `indexMemory`
  // bytes; what a query needs of every index at once - flow counts, the links between index
  // parts, metadata - is a summary kept for each (IndexSummary). Queries load one index at a
  // time, so reading a store of any size stays within the budget plus the index in use. Live
  // segments are cached by the segment catalog (bounded by the capture's retention).

  /**
   * The usable index of an entry of `captures`: verified, and rebuilt from the capture when
   * missing, torn or stale (for a capture indexed in parts: every part, when any is unusable).
   * Returns null (after logging why) when neither the index nor the capture is usable. The
   * index may be dropped from the store's cache later; it stays readable by whoever holds it.
   */
  async index(entry: CaptureEntry): Promise<IndexFile | null> {
    if (this.segments.has(entry.id)) return this.segments.index(entry.id);
    const cached = this.open.get(entry.id);
    if (cached) {
      this.open.delete(entry.id);
      this.open.set(entry.id, cached);
      return cached;
    }
    const part = this.parts.get(entry.id);
    const capture = part?.capture ?? entry;
    const k = part?.number ?? 0;
    if (!(await this.validate(capture)) || k >= (capture.parts ?? 1)) return null;
    return this.load(capture, k);
  }

  /** Opens part k of a capture into the cache (the CRC pass only the first time this process opens it). */
  private async load(capture: CaptureEntry, k: number): Promise<IndexFile> {
    const id = partId(capture.fingerprint, k);
    const cached = this.open.get(id);
    if (cached) return cached;
    const path = this.indexPath(id);
    const file = await IndexFile.open(path, this.verified.get(path));
    this.verified.set(path, file.identity);
    this.open.set(id, file);
    this.loadedBytes += file.loadedBytes;
    this.peakLoaded = Math.max(this.peakLoaded, this.loadedBytes);
    this.summaries.set(id, { flowCount: file.view.flowCount, continuations: file.view.continuations, meta: file.meta, path, offsets: file.offsets });
    this.evictFor(file);
    return file;
  }

  /** Drops least recently used indexes (never `keep`) while the cache holds more than its budget. */
  private evictFor(keep: IndexFile): void {
    for (const [id, f] of this.open) {
      if (this.loadedBytes <= this.indexMemory) return;
      if (f === keep) continue;
      this.open.delete(id);
      this.loadedBytes -= f.loadedBytes;
      void f.release();
    }
  }

  /** Bytes of index sections the store holds in its cache now, and at most so far. */
  get indexMemoryUse(): { now: number; peak: number } {
    return { now: this.loadedBytes, peak: this.peakLoaded };
  }

  /**
   * Checks every index part of an imported capture once per process (and again after it
   * changed): readable, of this content, of this build; rebuilds them all when any is not.
   * Returns false (after logging why) when neither the index nor the capture is usable.
   */
  private async validate(entry: CaptureEntry): Promise<boolean> {
    if (this.validated.get(entry.id) === entry.fingerprint) return true;
    const st = await stat(entry.path).catch(() => null);
    let reason: string | null = null;
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
    const n = entry.parts ?? 1;
    for (let k = 0; k < n && reason === null; k++) {
      try {
        const file = await this.load(entry, k);
        reason = partProblem(file, entry, k);
      } catch (e) {
        if (!(e instanceof IndexUnusableError)) throw e;
        reason = n > 1 ? `index part ${k} of ${n}: ${e.reason}` : e.reason;
      }
    }
    if (reason === null) {
      this.validated.set(entry.id, entry.fingerprint);
      return true;
    }
    this.closeCapture(entry);
    if (!st) {
      this.log(`${entry.path}: capture is missing and its index is unusable (${reason}); import the capture again to restore it`);
      return false;
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
    for (let k = 0; k < (entry.parts ?? 1); k++) await this.load(entry, k);
    this.validated.set(entry.id, entry.fingerprint);
    return true;
  }

  /**
   * Every usable index, in `captures` order, as a summary (flow count, links to earlier index
   * parts, metadata): imported captures validated (rebuilt where needed) without keeping their
   * indexes loaded; live segments with their index view (their flows are linked by key and time).
   */
  async indexSummaries(): Promise<IndexSummary[]> {
    await this.segments.refresh();
    const out: IndexSummary[] = [];
    for (const c of this.manifest.captures) {
      if (!(await this.validate(c))) continue;
      // (a rebuild may have changed the number of parts: list them after it)
      this.partEntries(c).forEach((entry, k) => {
        const s = this.summaries.get(entry.id);
        if (s) out.push({ entry, ...s, segment: false, capture: c.id, part: k });
      });
    }
    for (const entry of this.segments.captures) {
      const file = await this.segments.index(entry.id);
      if (!file) continue;
      out.push({ entry, flowCount: file.view.flowCount, continuations: file.view.continuations, meta: file.meta, path: file.path, offsets: file.offsets, segment: true, capture: entry.id, part: 0, view: file.view });
    }
    return out;
  }

  /**
   * Every usable index, loaded at once. Holds them all in memory whatever the budget: for small
   * stores and tests; queries use indexSummaries and load one index at a time.
   */
  async indexes(): Promise<{ entry: CaptureEntry; file: IndexFile }[]> {
    const out: { entry: CaptureEntry; file: IndexFile }[] = [];
    for (const s of await this.indexSummaries()) {
      const file = await this.index(s.entry);
      if (file) out.push({ entry: s.entry, file });
    }
    return out;
  }

  /** The view of a listed index: a segment's own, or an imported part's (loaded). */
  private async viewOf(s: IndexSummary): Promise<IndexView> {
    if (s.view) return s.view;
    const file = await this.index(s.entry);
    if (!file) throw new Error(`${s.entry.path}: index became unusable while reading it`);
    return file.view;
  }

  /** The pieces of flows that crossed segment rotations or index parts, linked (node/store/flow-chains.ts). */
  private chainsFor(list: readonly IndexSummary[]): FlowChains {
    const c = this.chainCache;
    // identity: a segment's view (a new snapshot is a new view), an imported part's summary
    const keys = list.map((s) => (s.view ?? this.summaries.get(s.entry.id) ?? s) as object);
    const same = (k: number): boolean => c !== null && c.keys[k] === keys[k];
    if (c && c.keys.length === keys.length && keys.every((_, k) => same(k))) return c.chains;
    const inputs = list.map((s) => ({ view: s.view, flowCount: s.flowCount, continuations: s.continuations, segment: s.segment, capture: s.capture, part: s.part }));
    if (c && keys.length > 0 && c.keys.length === keys.length && keys.slice(0, -1).every((_, k) => same(k))) {
      // only the open segment's snapshot changed: link it alone against the state before it
      const chains = FlowChains.resume(c.beforeLast, inputs);
      this.chainCache = { keys, chains, beforeLast: c.beforeLast };
      return chains;
    }
    const { chains, beforeLast } = FlowChains.buildResumable(inputs);
    this.chainCache = { keys, chains, beforeLast };
    return chains;
  }

  /** Flow `head` as found: one piece, or the merged flow of its pieces. */
  private async foundAt(list: readonly IndexSummary[], chains: FlowChains, head: PieceRef): Promise<FoundFlow> {
    const one = async (r: PieceRef): Promise<FoundFlow> => {
      const s = list[refFile(r)];
      return { id: `${s.entry.id}-${refFlow(r)}`, capture: s.entry, record: (await this.viewOf(s)).record(refFlow(r)) };
    };
    const refs = chains.pieces(head);
    if (refs.length === 1) return one(head);
    const pieces: FoundFlow[] = [];
    for (const r of refs) pieces.push(await one(r));
    return { id: pieces[0].id, capture: pieces[0].capture, record: mergePieceRecords(pieces.map((p) => p.record)), pieces };
  }

  /** Number of flows: every capture's flows, a flow across segment rotations or index parts counted once. */
  async flowCount(): Promise<number> {
    const list = await this.indexSummaries();
    return list.reduce((n, s) => n + s.flowCount, 0) - this.chainsFor(list).continuations;
  }

  /**
   * Flows matching q across all captures, newest first (by first packet time), at most limit. A
   * flow that crossed live segment rotations or index parts is one flow (its pieces merged,
   * `pieces` set) when any of its pieces matches; its id is its first piece's. Indexes are read
   * one at a time; only the `limit` newest are kept while scanning, and only those become records.
   */
  async findFlows(q: FlowQuery, limit = Infinity): Promise<FoundFlow[]> {
    const list = await this.indexSummaries();
    const chains = this.chainsFor(list);
    const top = new NewestFirst(limit, (f) => list[f].entry.id);
    const seenHeads = new Set<PieceRef>();
    // heads of matching pieces that live in another index, by index: offered once it is read
    const headsElsewhere = new Map<number, number[]>();
    for (let f = 0; f < list.length; f++) {
      const v = await this.viewOf(list[f]);
      const linked = chains.linked(f);
      for (const i of v.match(q)) {
        if (linked && chains.isChained(f, i)) {
          // a flow of several pieces: once, as its first piece (which has the flow's first time)
          const h = chains.head(f, i);
          if (seenHeads.has(h)) continue;
          seenHeads.add(h);
          const hf = refFile(h);
          if (hf === f) top.offer(v.firstSec(refFlow(h)), v.firstNsec(refFlow(h)), f, refFlow(h));
          else headsElsewhere.set(hf, [...(headsElsewhere.get(hf) ?? []), refFlow(h)]);
        } else top.offer(v.firstSec(i), v.firstNsec(i), f, i);
      }
    }
    for (const [hf, flows] of headsElsewhere) {
      const hv = await this.viewOf(list[hf]);
      for (const i of flows) top.offer(hv.firstSec(i), hv.firstNsec(i), hf, i);
    }
    const out: FoundFlow[] = [];
    for (const { f, i } of top.sorted()) out.push(await this.foundAt(list, chains, pieceRef(f, i)));
    return out;
  }

  /** Flows carrying a 5-tuple (either direction) overlapping the time window, in capture order. */
  async findTuple(q: TupleQuery): Promise<FoundFlow[]> {
    return (await this.findTuples([q]))[0];
  }

  /** findTuple for many queries in one pass over the indexes (each read once for all of them). */
  async findTuples(qs: readonly TupleQuery[]): Promise<FoundFlow[][]> {
    const all = qs.map((): FoundFlow[] => []);
    for (const s of await this.indexSummaries()) {
      const v = await this.viewOf(s);
      qs.forEach((q, k) => {
        for (const i of v.matchTuple(q)) all[k].push({ id: `${s.entry.id}-${i}`, capture: s.entry, record: v.record(i) });
      });
    }
    return all;
  }

  /**
   * Packet offsets of a flow record of an entry of `captures`, in capture order, read without
   * loading the index's flow records (a positioned read in its Offsets section). At most
   * MAX_OPEN_OFFSET_READERS imported indexes keep a file handle open for this.
   */
  async packetOffsets(entry: CaptureEntry, record: FlowRecord): Promise<Float64Array> {
    if (this.segments.has(entry.id)) {
      const f = await this.segments.index(entry.id);
      if (!f) throw new Error(`${entry.path}: live segment no longer available`);
      return f.packetOffsets(record);
    }
    if (!this.summaries.has(entry.id)) await this.index(entry);
    const s = this.summaries.get(entry.id);
    if (!s) throw new Error(`capture ${entry.path} is not available for reading`);
    const r = s.offsets;
    this.readers.delete(r);
    this.readers.add(r);
    for (const old of this.readers) {
      if (this.readers.size <= MAX_OPEN_OFFSET_READERS) break;
      this.readers.delete(old);
      void old.release();
    }
    return r.read(record);
  }

  /** The metadata of an entry of `captures` (its index loaded only if never read before). */
  async indexMeta(entry: CaptureEntry): Promise<IndexMeta | null> {
    if (this.segments.has(entry.id)) return (await this.segments.index(entry.id))?.meta ?? null;
    if (!this.summaries.has(entry.id)) await this.index(entry);
    return this.summaries.get(entry.id)?.meta ?? null;
  }

  /**
   * The flow with this id. The id of any piece of a flow that crossed live segment rotations or
   * index parts gives the whole flow (all pieces, under its first piece's id).
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
      const list = await this.indexSummaries();
      const f = list.findIndex((x) => x.entry.id === entry.id);
      if (f < 0 || n >= list[f].flowCount) return null;
      const chains = this.chainsFor(list);
      return this.foundAt(list, chains, chains.head(f, n));
    }
    const file = await this.index(entry);
    if (!file || n >= file.view.flowCount) return null;
    return { id, capture: entry, record: file.view.record(n) };
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.release();
    this.readers.clear();
    for (const f of this.open.values()) await f.close();
    this.open.clear();
    this.loadedBytes = 0;
    await this.segments.close();
  }
}

/** Why an opened index is not part k of capture c as the manifest lists it, or null when it is. */
function partProblem(f: IndexFile, c: CaptureEntry, k: number): string | null {
  const n = c.parts ?? 1;
  const p = f.meta.part;
  if (f.meta.source.fingerprint !== c.fingerprint) return 'index belongs to other content';
  if (n > 1 ? p?.number !== k : p !== undefined) return n > 1 ? `index part ${k} of ${n} belongs to another build` : 'index was built in parts, the store lists it whole';
  return null;
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
