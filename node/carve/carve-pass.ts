/**
 * Carving many flows in one sequential pass over each capture: the capture is read front to back
 * once (readCaptureFile: two 4 MiB buffers, read-ahead) and each record the index assigns to a
 * selected flow is handed to that flow's FlowFollower, whose streams feed the flow's carvers
 * (carvePayload, exactly as the per-flow path does). A flow's state lives from its first packet
 * to its last (both known from the index), then its carving is finished while the pass goes on.
 *
 * Why: following flow by flow opens and reads the capture once per flow (by offset runs) and
 * carves one flow at a time, waiting on each flow's file finalization; the single pass reads
 * every byte once and overlaps everything.
 *
 * Same output as the per-flow path by construction: the records each flow gets are the ones the
 * index lists for it (the same offsets eachFlowPacket reads), in the same order, through the same
 * FlowFollower and carvePayload; a flow whose carvers all gave up stops being fed as followFlow
 * stops. Memory is bounded: reassembly buffers of all flows share one ReassemblyBudget (per
 * direction still at most 4 MiB held out of order), spool batches are capped in total
 * (spool-file.ts), and at most maxActiveFlows flows are open at once — a flow that would start
 * beyond that is left to a later pass over the capture (so a capture with more concurrent
 * connections takes several passes, never unbounded state).
 */
import { FlowFollower } from '../../common/reassembly/flow-follower.js';
import { ReassemblyBudget } from '../../common/reassembly/memory-budget.js';
import type { StreamSink } from '../../common/reassembly/stream-types.js';
import type { PacketRecordView } from '../../common/capture/capture-types.js';
import { readCaptureFile } from '../capture/read-capture-file.js';
import { inCaptureOrder } from '../store/slicer.js';
import type { CaptureEntry } from '../store/store-manifest.js';
import type { FoundFlow, Store } from '../store/store.js';
import { CARVE_REASSEMBLY, carveFlow, carvePayload, planCarve, type CarveFlowResult, type CarveOptions, type CarvePlanOptions } from './carve-flow.js';
import { FileStore } from './file-store.js';
import { spoolInputEnded, startSpoolWorkers } from './hash-worker.js';

export interface CarvePassOptions extends CarvePlanOptions {
  /** Flows open (first packet seen, last not yet) at once; later-starting flows wait for another pass. Default 4096. */
  maxActiveFlows?: number;
  /** Bytes all flows' reassembly may hold together (out-of-order data and retransmission history). Default 256 MiB. */
  reassemblyBudget?: number;
  /** Each flow's result as soon as it is complete (in completion order); `index` is its position in `flows`. */
  onResult?: (index: number, result: CarveFlowResult) => void;
}

export const DEFAULT_MAX_ACTIVE_FLOWS = 4096;
export const DEFAULT_PASS_BUDGET = 256 * 1024 * 1024;

/** Planning (FTP/TFTP lookups) runs this many flows at a time. */
const PLAN_CONCURRENCY = 8;

interface Planned {
  index: number;
  flow: FoundFlow;
  opts: CarveOptions;
}

/** Carves `flows` (any captures of the store) reading each capture once per pass; results in `flows` order. */
export async function carveFlowsInOnePass(store: Store, flows: readonly FoundFlow[], opts: CarvePassOptions = {}): Promise<CarveFlowResult[]> {
  const { maxActiveFlows = DEFAULT_MAX_ACTIVE_FLOWS, reassemblyBudget = DEFAULT_PASS_BUDGET, onResult, ...planOpts } = opts;
  if (!(maxActiveFlows >= 1)) throw new RangeError('maxActiveFlows must be at least 1');
  // booting the spool workers overlaps planning and reading the indexes
  if (flows.length > 0) startSpoolWorkers();
  const results = new Array<CarveFlowResult | undefined>(flows.length);
  const done = (index: number, r: CarveFlowResult): void => {
    results[index] = r;
    onResult?.(index, r);
  };
  const planned: Planned[] = [];
  // a flow with pieces in several capture files (live segments it crossed) cannot be read in
  // one pass over one file: it is carved on its own, reading its pieces one after another
  const inOneFile = (f: FoundFlow): boolean => (f.pieces ?? [f]).every((p) => store.captureOf(p.capture).id === store.captureOf(f.capture).id);
  const single = flows.map((f, i) => i).filter((i) => inOneFile(flows[i]));
  for (const i of flows.keys()) if (!inOneFile(flows[i])) done(i, await carveFlow(store, flows[i], planOpts));
  let next = 0;
  const planner = async (): Promise<void> => {
    while (next < single.length) {
      const index = single[next++];
      const plan = await planCarve(store, flows[index], planOpts);
      if (plan.kind === 'result') done(index, plan.result);
      else planned.push({ index, flow: flows[index], opts: plan.opts });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PLAN_CONCURRENCY, single.length) }, planner));
  const files = FileStore.open(store.dir);
  for (const entry of store.captures) {
    // a capture indexed in parts is one file: its flows are read in the pass over its first part's entry
    if (store.captureOf(entry) !== entry) continue;
    let todo = planned.filter((p) => store.captureOf(p.flow.capture).id === entry.id);
    while (todo.length > 0) {
      todo = await passOverCapture(store, entry, todo, files, { maxActiveFlows, reassemblyBudget, signal: opts.signal }, done);
    }
  }
  return results.map((r, i) => {
    if (!r) throw new Error(`flow ${flows[i].id} was not carved (its capture is not in the store)`);
    return r;
  });
}

interface PassLimits {
  maxActiveFlows: number;
  reassemblyBudget: number;
  signal?: AbortSignal;
}

/** Per admitted flow: its follower and the feed carvePayload awaits. */
interface FlowState {
  follower: FlowFollower | null;
  signal: AbortSignal | null;
  /** Records handed over so far, and how many the index lists. */
  seen: number;
  total: number;
  /** Stopped being fed (finished, or every carver gave up). */
  closed: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
  result: Promise<CarveFlowResult>;
}

/**
 * One pass over a capture for `todo` (flows of that capture); returns the flows left for another
 * pass (they would have exceeded maxActiveFlows).
 */
async function passOverCapture(store: Store, entry: CaptureEntry, todo: Planned[], files: FileStore, limits: PassLimits, done: (index: number, r: CarveFlowResult) => void): Promise<Planned[]> {
  if (!(await store.indexMeta(entry))) throw new Error(`capture ${entry.path} is not available for carving`);
  // every selected record, in file order, with the flow it belongs to (a flow crossing index
  // parts: the records of all its pieces)
  const offsetsOf = async (f: FoundFlow): Promise<Float64Array> => inCaptureOrder(await Promise.all((f.pieces ?? [f]).map((p) => store.packetOffsets(p.capture, p.record))));
  const lists: Float64Array[] = [];
  for (let i = 0; i < todo.length; i += 64) lists.push(...(await Promise.all(todo.slice(i, i + 64).map((p) => offsetsOf(p.flow)))));
  const { offsets, owner } = mergeOffsets(lists);
  const budget = new ReassemblyBudget(limits.reassemblyBudget);
  const states = new Array<FlowState | null | undefined>(todo.length);
  const deferred: Planned[] = [];
  const running: Promise<void>[] = [];
  let active = 0;

  const admit = (f: number): FlowState | null => {
    if (active >= limits.maxActiveFlows) {
      deferred.push(todo[f]);
      return null;
    }
    active++;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const fed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const st: FlowState = { follower: null, signal: null, seen: 0, total: lists[f].length, closed: false, resolve, reject, result: null as unknown as Promise<CarveFlowResult> };
    const p = todo[f];
    const r = p.flow.record;
    st.result = carvePayload(files, p.flow.id, (sink: StreamSink, signal: AbortSignal) => {
      // called synchronously by carvePayload: the follower exists before the next record
      st.signal = signal;
      st.follower = new FlowFollower({ ipVersion: r.ipVersion, proto: r.proto, client: r.client, server: r.server, clientPort: r.clientPort, serverPort: r.serverPort }, sink, { ...CARVE_REASSEMBLY, budget });
      return fed;
    }, p.opts);
    const finished = st.result.then((res) => done(p.index, res));
    // observed by allSettled at the end of the pass; until then a failure must not count as unhandled
    finished.catch(() => undefined);
    running.push(finished);
    return st;
  };
  const close = (st: FlowState, finish: boolean): void => {
    st.closed = true;
    active--;
    if (finish) st.follower?.finish();
    st.follower = null;
    st.resolve();
  };

  let k = 0;
  const n = offsets.length;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(limits.signal?.reason);
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  const onPacket = (rec: PacketRecordView): void => {
    if (k >= n) return;
    const off = rec.recordOffset;
    if (offsets[k] !== off) {
      if (offsets[k] < off) throw new Error(`${entry.path}: no record at offset ${offsets[k]} listed by the index (the capture changed after it was indexed?)`);
      return;
    }
    // (an offset listed twice would belong to two flows: each gets it)
    do {
      const f = owner[k++];
      let st = states[f];
      if (st === undefined) st = states[f] = admit(f);
      if (st === null || st.closed) continue;
      if (st.signal?.aborted) {
        // every carver gave up (or the caller aborted): followFlow stops reading here too
        close(st, false);
        continue;
      }
      st.seen++;
      st.follower?.push(rec.linkType, rec.data, rec.tsSec, rec.tsNsec);
      if (st.seen === st.total) close(st, true);
    } while (k < n && offsets[k] === off);
    if (k >= n) stop.abort(PASS_DONE);
  };
  let failure: unknown = null;
  try {
    // flows without records end at once
    for (let f = 0; f < todo.length; f++) {
      if (lists[f].length > 0) continue;
      const st = (states[f] = admit(f));
      if (st) close(st, true);
    }
    if (n > 0) {
      const r = await readCaptureFile(entry.path, { onFileInfo: () => undefined, onInterface: () => undefined, onPacket }, { signal: stop.signal }).catch((e: unknown) => {
        if (stop.signal.aborted && stop.signal.reason === PASS_DONE) return null;
        throw e;
      });
      // the last files of the pass need not wait for the spool's idle timer (once the flows'
      // endings, promise callbacks, have queued them)
      setImmediate(spoolInputEnded);
      if (r?.error && k < n) throw new Error(`${entry.path}: ${r.error.message} before every indexed packet was read`);
      if (k < n) throw new Error(`${entry.path}: found ${k} of ${n} indexed packets (the capture changed after it was indexed?)`);
    }
  } catch (e) {
    failure = e;
  } finally {
    limits.signal?.removeEventListener('abort', onAbort);
    // flows still open after a failure: their carving fails with it (open spools are dropped)
    for (const st of states) if (st && !st.closed) {
      st.closed = true;
      st.reject(failure ?? new Error('the pass ended before the flow did'));
    }
  }
  const settled = await Promise.allSettled(running);
  if (failure !== null) throw failure;
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return deferred;
}

const PASS_DONE = new Error('every indexed packet of the pass was read');

/**
 * All flows' record offsets merged in file order, with the flow (list index) of each: a k-way
 * merge of the sorted lists over a binary heap of their heads (V8's typed-array sort took ~35 ms
 * for 185,000 offsets). A record listed by two flows appears twice. The list on top gives its
 * whole run of offsets that precede every other head at once (one heap step per run instead of
 * per record: flows mostly follow one another in a capture, and the heap steps cost the merge
 * most of its time, which the carve spends before reading anything).
 */
export function mergeOffsets(lists: readonly Float64Array[]): { offsets: Float64Array; owner: Int32Array } {
  let total = 0;
  for (const l of lists) total += l.length;
  const offsets = new Float64Array(total);
  const owner = new Int32Array(total);
  const pos = new Int32Array(lists.length);
  const heap = new Int32Array(lists.length);
  let size = 0;
  const head = (f: number): number => lists[f][pos[f]];
  // ties go to the lower list index, so the order is deterministic
  const less = (a: number, b: number): boolean => head(a) < head(b) || (head(a) === head(b) && a < b);
  const siftDown = (i: number): void => {
    const f = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], f)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = f;
  };
  for (let f = 0; f < lists.length; f++) if (lists[f].length > 0) heap[size++] = f;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let k = 0; k < total; ) {
    const f = heap[0];
    const l = lists[f];
    let p = pos[f];
    // the next smallest head: the lesser child of the root (none when f is alone)
    const g = size < 2 ? -1 : size < 3 || less(heap[1], heap[2]) ? heap[1] : heap[2];
    const bound = g < 0 ? Infinity : head(g);
    // ties go to the lower list index, as in `less`
    const tieOk = g > f;
    // the run's end: galloping, then halving (l is in file order, and l[p] is in the run). A
    // flow's records are often one long run (whole flows one after another): found in a few
    // dozen probes and copied in bulk, where a compare and a store per record ran ~20-35 ms
    // of the single-threaded start per 180k records (mostly before V8 optimized the loop)
    let lo = p;
    let hi = p + 1;
    for (let step = 1; hi < l.length && (l[hi] < bound || (tieOk && l[hi] === bound)); step *= 2) {
      lo = hi;
      hi = p + 2 * step;
    }
    if (hi > l.length) hi = l.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (l[mid] < bound || (tieOk && l[mid] === bound)) lo = mid;
      else hi = mid;
    }
    const n = hi - p;
    if (n < 16) {
      for (let i = 0; i < n; i++) {
        offsets[k + i] = l[p + i];
        owner[k + i] = f;
      }
    } else {
      offsets.set(l.subarray(p, hi), k);
      owner.fill(f, k, k + n);
    }
    k += n;
    p = hi;
    pos[f] = p;
    if (p === l.length) heap[0] = heap[--size];
    if (size > 0) siftDown(0);
  }
  return { offsets, owner };
}
