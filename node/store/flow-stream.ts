/**
 * Follow-stream over the store: a flow's packets read back by offset (eachFlowPacket), decoded,
 * oriented by the flow record's client and server, and reassembled into its TCP or UDP streams.
 * followFlow streams chunks to a sink (for output of any size); readFlowStream collects them.
 */
import { FlowKind } from '../../common/flow/flow-table.js';
import { ipToString } from '../../common/packet/ip-address.js';
import { FlowFollower, isFollowable, type FlowFollowerOptions, type FollowerStats } from '../../common/reassembly/flow-follower.js';
import type { Direction, StreamChunk, StreamEndReason, StreamSink } from '../../common/reassembly/stream-types.js';
import { eachFlowPacket } from './slicer.js';
import type { FoundFlow, Store } from './store.js';
import { copyBytes } from '../../common/reassembly/copy-bytes.js';

export interface FlowEndpoint {
  ip: string;
  port: number;
}

export interface FlowStreamInfo {
  id: string;
  protocol: 'tcp' | 'udp';
  ipVersion: 4 | 6;
  client: FlowEndpoint;
  server: FlowEndpoint;
}

export interface FlowStreamEnd {
  reason: StreamEndReason;
  /** Bytes known to be missing at the end of the direction. */
  gapAtEnd: number;
}

export interface FollowOptions extends FlowFollowerOptions {
  /** Stop after this many payload bytes (both directions together); the last chunk is cut. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Awaited after each packet: lets a writer drain its output. */
  afterPacket?: () => Promise<void> | void;
}

export interface FollowSummary extends FlowStreamInfo {
  /** Payload bytes delivered per direction (client → server, server → client). */
  bytes: [number, number];
  /** How each direction ended; null when the byte cap stopped reading first. */
  ends: [FlowStreamEnd | null, FlowStreamEnd | null];
  /** True when maxBytes cut the stream short. */
  capped: boolean;
  stats: FollowerStats;
}

export interface FlowStreamSegment {
  dir: Direction;
  /** Offset of data[0] within its direction's stream. */
  offset: number;
  /** A copy: owned by the caller. */
  data: Uint8Array;
  /** Bytes missing immediately before this segment (never invented). */
  gapBefore: number;
  tsSec: number;
  tsNsec: number;
  /** 0-based index within the flow of the packet that completed the segment. */
  packet: number;
}

export interface FlowStream extends FollowSummary {
  /** The payload in delivery order. */
  segments: FlowStreamSegment[];
}

/** Protocol and endpoints of a followable flow; throws for flows without TCP/UDP ports. */
export function flowStreamInfo(flow: FoundFlow): FlowStreamInfo {
  const r = flow.record;
  if (r.kind !== FlowKind.Ip || !r.hasPorts || !isFollowable(r.proto)) {
    throw new Error(`flow ${flow.id} is not a TCP or UDP flow with ports: only those have a stream to follow`);
  }
  const v = r.ipVersion === 6 ? 6 : 4;
  const n = v === 6 ? 16 : 4;
  return {
    id: flow.id,
    protocol: r.proto === 6 ? 'tcp' : 'udp',
    ipVersion: v,
    client: { ip: ipToString(v, r.client.subarray(0, n)), port: r.clientPort },
    server: { ip: ipToString(v, r.server.subarray(0, n)), port: r.serverPort },
  };
}

/** Streams the flow's reassembled payload to `sink`, in delivery order. */
export async function followFlow(store: Store, flow: FoundFlow, sink: StreamSink, opts: FollowOptions = {}): Promise<FollowSummary> {
  const info = flowStreamInfo(flow);
  const r = flow.record;
  const cap = opts.maxBytes ?? Infinity;
  const bytes: [number, number] = [0, 0];
  const ends: [FlowStreamEnd | null, FlowStreamEnd | null] = [null, null];
  let capped = false;
  const capSink: StreamSink = {
    onData(c: StreamChunk): void {
      if (capped) return;
      const room = cap - bytes[0] - bytes[1];
      if (c.data.length >= room) {
        capped = true;
        if (room <= 0) return;
        if (c.data.length > room) c = { ...c, data: c.data.subarray(0, room) };
      }
      bytes[c.dir] += c.data.length;
      sink.onData(c);
    },
    onEnd(dir: Direction, reason: StreamEndReason, gapAtEnd: number): void {
      if (capped) return;
      ends[dir] = { reason, gapAtEnd };
      sink.onEnd(dir, reason, gapAtEnd);
    },
  };
  const follower = new FlowFollower(
    { ipVersion: r.ipVersion, proto: r.proto, client: r.client, server: r.server, clientPort: r.clientPort, serverPort: r.serverPort },
    capSink,
    opts,
  );
  const signal = opts.signal;
  const afterPacket = opts.afterPacket;
  await eachFlowPacket(store, { flows: [flow] }, (p) => {
    signal?.throwIfAborted();
    follower.push(p.record.linkType, p.record.data, p.record.tsSec, p.record.tsNsec);
    // awaited only when there is something to wait for: buffered packets go through without a promise
    if (afterPacket) {
      return (async () => {
        await afterPacket();
        return capped ? 'stop' : undefined;
      })();
    }
    return capped ? 'stop' : undefined;
  });
  if (!capped) follower.finish();
  return { ...info, bytes, ends, capped, stats: follower.stats };
}

/** The flow's reassembled payload as copied segments (bounded by opts.maxBytes). */
export async function readFlowStream(store: Store, flow: FoundFlow, opts: FollowOptions = {}): Promise<FlowStream> {
  const segments: FlowStreamSegment[] = [];
  const summary = await followFlow(
    store,
    flow,
    {
      onData: (c) => segments.push({ dir: c.dir, offset: c.offset, data: copyBytes(c.data), gapBefore: c.gapBefore, tsSec: c.tsSec, tsNsec: c.tsNsec, packet: c.packet }),
      onEnd: () => undefined,
    },
    opts,
  );
  return { ...summary, segments };
}
