/**
 * Carving one stored flow: its reassembled payload (from the reassembly module, as StreamChunks)
 * runs through the HTTP carver — on any port: a flow is HTTP when a direction starts with a
 * request or status line — and every file found is stored with its records, which replace any
 * earlier carving of the flow.
 */
import type { StreamSink } from '../../common/reassembly/stream-types.js';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { HttpCarver, type CarveIssue, type HttpCarverOptions } from '../../common/carve/http/http-carver.js';
import { flowToJson } from '../../common/flow/flow-json.js';
import { FlowKind } from '../../common/flow/flow-table.js';
import { followFlow } from '../store/flow-stream.js';
import type { Store } from '../store/store.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './content-decoder.js';
import { FileStore } from './file-store.js';
import type { FinalizeContext } from './finalize-file.js';
import { assembleRanges } from './range-assembly.js';
import { StoreCarveSink } from './store-sink.js';

/** Pushes a flow's ordered payload into a sink (the reassembly module's contract); stops when signal aborts. */
export type FlowPayloadSource = (store: Store, flowId: string, sink: StreamSink, signal: AbortSignal) => Promise<void>;

/** Pushes a payload into a sink: the test seam below carveFlow. */
export type PayloadFeed = (sink: StreamSink, signal: AbortSignal) => Promise<void>;

export interface CarveOptions {
  decodeLimits?: Partial<DecodeLimits>;
  carver?: Partial<HttpCarverOptions>;
  signal?: AbortSignal;
  /** Replace STORE/files/flows/<flow id>.ndjson with the records (default true). */
  save?: boolean;
}

export interface CarveFlowOptions extends CarveOptions {
  /** Where the payload comes from (default: the store's TCP reassembly). */
  source?: FlowPayloadSource;
}

export interface CarveFlowResult {
  flowId: string;
  /** The payload looked like HTTP/1.x. */
  http: boolean;
  files: CarvedFileRecord[];
  /** Parse errors and notable events (bounded; issueCount counts all). */
  issues: CarveIssue[];
  issueCount: number;
}

/** The store's TCP reassembly (node/store/flow-stream.ts). */
export const reassembledPayload: FlowPayloadSource = async (store, flowId, sink, signal) => {
  const flow = await store.flowById(flowId);
  if (!flow) throw new Error(`no flow ${flowId} in the store`);
  await followFlow(store, flow, sink, { signal });
};

export async function carveFlow(store: Store, flowId: string, opts: CarveFlowOptions = {}): Promise<CarveFlowResult> {
  const found = await store.flowById(flowId);
  if (!found) throw new Error(`no flow ${flowId} in the store`);
  const r = found.record;
  if (r.kind !== FlowKind.Ip || r.proto !== 6 || !r.hasPorts) return { flowId, http: false, files: [], issues: [], issueCount: 0 };
  const j = flowToJson(flowId, r);
  const server = j.server_ip === null ? null : j.server_ip.includes(':') ? `[${j.server_ip}]` : j.server_ip;
  const fallbackHost = server === null ? null : j.server_port === 80 || j.server_port === null ? server : `${server}:${j.server_port}`;
  const source = opts.source ?? reassembledPayload;
  return carvePayload(FileStore.open(store.dir), flowId, (sink, signal) => source(store, flowId, sink, signal), {
    ...opts,
    carver: { fallbackHost, ...opts.carver },
  });
}

export async function carvePayload(files: FileStore, flowId: string, feed: PayloadFeed, opts: CarveOptions = {}): Promise<CarveFlowResult> {
  let n = 0;
  const ctx: FinalizeContext = { store: files, flowId, limits: { ...DEFAULT_DECODE_LIMITS, ...opts.decodeLimits }, nextId: () => `${flowId}/${n++}` };
  const sink = new StoreCarveSink(ctx);
  const carver = new HttpCarver(sink, opts.carver);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let gaveUp = false;
  // stop reading a flow that is clearly not HTTP
  const gate: StreamSink = {
    onData(c) {
      if (gaveUp) return;
      carver.onData(c);
      if (carver.gaveUp) {
        gaveUp = true;
        stop.abort(new Error('not HTTP'));
      }
    },
    onEnd(dir, reason, gapAtEnd) {
      ended[dir] = true;
      if (!gaveUp) carver.onEnd(dir, reason, gapAtEnd);
    },
  };
  const ended = [false, false];
  try {
    await feed(gate, stop.signal).catch((e: unknown) => {
      // our own early stop is not a failure
      if (!(gaveUp && stop.signal.aborted)) throw e;
    });
    opts.signal?.throwIfAborted();
    // a source that stops without ending a direction: what was received is all there is
    for (const dir of [0, 1] as const) if (!ended[dir] && !gaveUp) carver.onEnd(dir, 'end-of-capture', 0);
    await sink.settle();
    const assembled = await assembleRanges(ctx, sink.pending);
    const records = sink.resolve(assembled);
    if (opts.save !== false) await files.writeFlowRecords(flowId, records);
    return { flowId, http: carver.sawHttp, files: records, issues: carver.issues, issueCount: carver.issueCount };
  } finally {
    sink.discardOpen();
    // finalizations still queued after a failure must not outlive the call
    await sink.settle().catch(() => undefined);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
