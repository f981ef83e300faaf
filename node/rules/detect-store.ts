/**
 * Runs rules and discovery over a store: every stored flow, oldest first, its packets read back
 * by offset (eachFlowPacket), decoded for the packet rules and reassembled (FlowFollower) for the
 * application layer (HTTP, TLS, DNS, banners). Alerts and discovery records come out as
 * Tapline events with ids derived from what they describe, so a re-run produces the same ids.
 */
import { createHash } from 'node:crypto';
import { FlowKind } from '../../common/flow/flow-table.js';
import { EventSchema, type DiscoveryEvent, type TaplineEvent } from '../../common/bridge/messages.js';
import { FlowAppLayer, type AppLayerHandlers } from '../../common/discovery/app-layer.js';
import { DiscoveryCollector, type Digests } from '../../common/discovery/discovery-collector.js';
import type { PacketRef } from '../../common/discovery/http-transactions.js';
import { communityId } from '../../common/packet/community-id.js';
import { decodePacket } from '../../common/packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus, FragmentKind } from '../../common/packet/decoded-packet.js';
import { ipToString } from '../../common/packet/ip-address.js';
import { FlowFollower, isFollowable } from '../../common/reassembly/flow-follower.js';
import type { Direction, StreamChunk, StreamSink } from '../../common/reassembly/stream-types.js';
import { FlowDetector, type DetectFlow, type RuleHit } from '../../common/rules/flow-detector.js';
import type { RuleSet } from '../../common/rules/rule-set.js';
import { ThresholdState } from '../../common/rules/threshold-state.js';
import { formatTs } from '../../common/time/timestamp.js';
import { priorityRank } from '../../common/ranking/ranker.js';
import { eachFlowPacket } from '../store/slicer.js';
import { flowFiles } from './flow-files.js';
import { nodeBodyDecoder } from './body-decoder.js';
import type { FoundFlow, Store } from '../store/store.js';

export interface DetectOptions {
  /** Run the rule set (null: discovery only). */
  rules: RuleSet | null;
  discovery: boolean;
  showCredentials?: boolean;
  sensor?: string;
  signal?: AbortSignal;
  onEvent: (e: TaplineEvent) => void;
}

export interface DetectSummary {
  flows: number;
  packets: number;
  alerts: number;
  services: number;
  hosts: number;
  /** Events dropped because they failed their schema (a bug if ever non-zero). */
  invalid: number;
  /** Problems that made some rules blind (e.g. libmagic missing for filemagic), each once. */
  problems: string[];
}

export const nodeDigests: Digests = {
  md5: (b) => createHash('md5').update(b).digest('hex'),
  sha256: (b) => createHash('sha256').update(b).digest('hex'),
};

export async function detectStore(store: Store, opts: DetectOptions): Promise<DetectSummary> {
  const flows = (await store.findFlows({})).reverse();
  const sensor = opts.sensor ?? 'local';
  const thresholds = new ThresholdState();
  const collector = opts.discovery ? new DiscoveryCollector({ showCredentials: opts.showCredentials ?? false, digests: nodeDigests }) : null;
  const summary: DetectSummary = { flows: 0, packets: 0, alerts: 0, services: 0, hosts: 0, invalid: 0, problems: [] };
  // every event is checked against its schema before it leaves (the journal re-checks on read)
  const emit = (e: TaplineEvent): void => {
    const r = EventSchema.safeParse(e);
    if (r.success) opts.onEvent(r.data);
    else summary.invalid++;
  };
  // Flows run CONCURRENCY at a time (their packet reads overlap), and their results are applied
  // in flow order: thresholds and discovery see exactly the sequence a one-by-one walk would.
  const ipFlows = flows.filter((f) => f.record.kind === FlowKind.Ip);
  // A sliding window, not batches: one long flow no longer holds seven finished slots idle.
  const running: { flow: FoundFlow; result: Promise<FlowResult> }[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < ipFlows.length && running.length < CONCURRENCY) {
      const flow = ipFlows[next++];
      const result = detectFlow(store, flow, opts.rules, collector);
      // a rejection is observed when its turn comes; until then it must not count as unhandled
      result.catch(() => undefined);
      running.push({ flow, result });
    }
  };
  for (fill(); running.length > 0; fill()) {
    opts.signal?.throwIfAborted();
    const head = running.shift() as { flow: FoundFlow; result: Promise<FlowResult> };
    const flow = head.flow;
    const res = await head.result;
    {
      summary.flows++;
      summary.packets += res.packets;
      for (const p of res.problems) if (!summary.problems.includes(p)) summary.problems.push(p);
      for (const { hit, df } of res.hits) {
        const src = hit.dir === 0 ? res.clientIp : res.serverIp;
        const dst = hit.dir === 0 ? res.serverIp : res.clientIp;
        if (!thresholds.allow(hit.rule, hit.ref.tsSec, src, dst)) continue;
        summary.alerts++;
        emit(alertEvent(hit, df, flow, sensor));
      }
      res.commitDiscovery();
    }
  }
  if (collector) {
    for (const s of collector.services) {
      summary.services++;
      emit(discoveryEvent(sensor, 'service', s.what, s.host, s.port, s.peer, s.flowId, s.ref, s.fields));
    }
    for (const h of collector.hosts.values()) {
      const fields: Record<string, string[]> = {};
      if (h.names.size) fields.names = [...h.names];
      if (h.userAgents.size) fields.user_agents = [...h.userAgents];
      if (h.os.size) fields.os = [...h.os];
      if (h.users.size) fields.users = [...h.users];
      if (h.emails.size) fields.emails = [...h.emails];
      if (h.software.size) fields.software = [...h.software];
      if (h.macs.size) fields.macs = [...h.macs];
      summary.hosts++;
      emit(discoveryEvent(sensor, 'host', 'host', h.host, null, null, null, h.firstRef, fields));
    }
  }
  return summary;
}

/** Flows in flight at once. */
const CONCURRENCY = 8;

interface FlowResult {
  packets: number;
  /** Matches before thresholds (applied in flow order by the caller). */
  hits: { hit: RuleHit; df: DetectFlow }[];
  clientIp: string;
  serverIp: string;
  /** Applies the flow's discovery observations to the collector (in flow order). */
  commitDiscovery: () => void;
  problems: string[];
}

/** Runs one flow: its rule matches and its (deferred) discovery observations. */
async function detectFlow(store: Store, flow: FoundFlow, rules: RuleSet | null, collector: DiscoveryCollector | null): Promise<FlowResult> {
  const r = flow.record;
  const v = r.ipVersion === 6 ? 6 : 4;
  const n = v === 6 ? 16 : 4;
  const df: DetectFlow = { id: flow.id, ipVersion: v, proto: r.proto, client: r.client, server: r.server, clientPort: r.clientPort, serverPort: r.serverPort };
  const hits: { hit: RuleHit; df: DetectFlow }[] = [];
  const detector = rules ? new FlowDetector(rules, df, null, (h) => hits.push({ hit: h, df })) : null;
  const clientIp = ipToString(v, r.client.subarray(0, n));
  const serverIp = ipToString(v, r.server.subarray(0, n));
  const deferred = collector ? deferHandlers() : null;
  const disc = deferred?.handlers ?? null;
  const followable = r.hasPorts && isFollowable(r.proto);
  const handlers: AppLayerHandlers[] = [];
  if (detector) handlers.push(detector);
  if (disc) handlers.push(disc);
  const app = followable && handlers.length ? new FlowAppLayer(r.proto === 6 ? 'tcp' : 'udp', r.serverPort, r.clientPort, fanOut(handlers), nodeBodyDecoder) : null;
  const sink: StreamSink | null = app ? { onData: (c: StreamChunk) => app.onData(c), onEnd: () => undefined } : null;
  const follower = sink ? new FlowFollower({ ipVersion: r.ipVersion, proto: r.proto, client: r.client, server: r.server, clientPort: r.clientPort, serverPort: r.serverPort }, sink) : null;
  const d = createDecodedPacket();
  let index = 0;
  const ref: PacketRef = { tsSec: 0, tsNsec: 0, packet: 0 };
  await eachFlowPacket(store, { flows: [flow] }, (p) => {
    const rec = p.record;
    const i = index++;
    if (detector && detector.wantsPackets) {
      decodePacket(rec.linkType, rec.data, d);
      if (d.status === DecodeStatus.Ip && d.fragment !== FragmentKind.Later) {
        const dir: Direction = sameAddr(d.src, r.client, n) && (!r.hasPorts || d.srcPort === r.clientPort) ? 0 : 1;
        const payload = d.payloadOffset >= 0 ? rec.data.subarray(d.payloadOffset, d.payloadOffset + d.payloadLength) : EMPTY;
        detector.packet(dir, payload, d.tcpFlags, { tsSec: rec.tsSec, tsNsec: rec.tsNsec, packet: i });
      }
    }
    follower?.push(rec.linkType, rec.data, rec.tsSec, rec.tsNsec);
  });
  void ref;
  follower?.finish();
  app?.finish();
  const problems: string[] = [];
  if (detector && rules?.hasFileRules && r.hasPorts) {
    // file keywords: the flow's carved files, after its packets (flowbits of its transactions hold)
    const ff = await flowFiles(store, flow.id, rules.needsFileMagic);
    if (ff.magicProblem) problems.push(ff.magicProblem);
    for (const f of ff.files) detector.file(f);
  }
  const commitDiscovery = (): void => {
    if (!collector || !deferred) return;
    const real = collector.flow({ id: flow.id, clientIp, serverIp, clientPort: r.hasPorts ? r.clientPort : null, serverPort: r.hasPorts ? r.serverPort : null });
    deferred.replay(real);
    real.finish();
  };
  return { packets: index, hits, clientIp, serverIp, commitDiscovery, problems };
}

type Call = { [K in keyof AppLayerHandlers]-?: { k: K; args: Parameters<NonNullable<AppLayerHandlers[K]>> } }[keyof AppLayerHandlers];

/** Handlers that record their calls (the arguments are fresh objects or copies) to replay later. */
function deferHandlers(): { handlers: AppLayerHandlers; replay: (to: AppLayerHandlers) => void } {
  const calls: Call[] = [];
  const rec =
    <K extends keyof AppLayerHandlers>(k: K) =>
    (...args: Parameters<NonNullable<AppLayerHandlers[K]>>): void => {
      calls.push({ k, args } as Call);
    };
  return {
    handlers: {
      httpRequest: rec('httpRequest'),
      httpResponse: rec('httpResponse'),
      clientHello: rec('clientHello'),
      serverHello: rec('serverHello'),
      curve: rec('curve'),
      certificates: rec('certificates'),
      dns: (m, raw, dir, ref) => calls.push({ k: 'dns', args: [m, raw.slice(), dir, ref] }),
      dhcp: rec('dhcp'),
      firstLine: rec('firstLine'),
    },
    replay(to) {
      for (const c of calls) (to[c.k] as ((...a: unknown[]) => void) | undefined)?.apply(to, c.args as unknown[]);
    },
  };
}

const EMPTY = new Uint8Array(0);

function sameAddr(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One AppLayerHandlers calling several (detector, discovery) in order. */
function fanOut(hs: AppLayerHandlers[]): AppLayerHandlers {
  if (hs.length === 1) return hs[0];
  const call =
    <K extends keyof AppLayerHandlers>(k: K) =>
    (...args: unknown[]): void => {
      for (const h of hs) (h[k] as ((...a: unknown[]) => void) | undefined)?.apply(h, args);
    };
  return {
    httpRequest: call('httpRequest'),
    httpResponse: call('httpResponse'),
    clientHello: call('clientHello'),
    serverHello: call('serverHello'),
    curve: call('curve'),
    certificates: call('certificates'),
    dns: call('dns'),
    dhcp: call('dhcp'),
    firstLine: call('firstLine'),
    streamData: call('streamData'),
    appProto: call('appProto'),
  };
}

function alertEvent(hit: RuleHit, df: DetectFlow, flow: FoundFlow, sensor: string): TaplineEvent {
  const r = hit.rule;
  const n = df.ipVersion === 6 ? 16 : 4;
  const a = hit.dir === 0 ? df.client : df.server;
  const b = hit.dir === 0 ? df.server : df.client;
  const ports = flow.record.hasPorts;
  const sp = hit.dir === 0 ? df.clientPort : df.serverPort;
  const dp = hit.dir === 0 ? df.serverPort : df.clientPort;
  let cid: string | null = null;
  try {
    cid = ports ? communityId(df.ipVersion, df.proto, df.client, df.server, df.clientPort, df.serverPort) : null;
  } catch {
    cid = null;
  }
  return {
    id: `ids-${df.id}-${hit.ref.packet}-${hit.inspection}${hit.file ? `-${hit.file.slice(0, 8)}` : ''}-${r.gid}-${r.sid}`,
    sensor,
    ts: formatTs(hit.ref.tsSec, hit.ref.tsNsec),
    rank: priorityRank(r.priority),
    kind: 'ids',
    alert: {
      source: 'tapline',
      gid: r.gid,
      sid: r.sid,
      rev: r.rev,
      msg: r.msg.slice(0, 1024),
      classtype: r.classtype,
      ...(r.references.length ? { references: r.references.slice(0, 32).map((x) => x.slice(0, 512)) } : {}),
      priority: r.priority,
      action: r.action,
      app_proto: r.proto,
      ip_proto: df.proto,
      src_ip: ipToString(df.ipVersion, a.subarray(0, n)),
      src_port: ports ? sp : null,
      dst_ip: ipToString(df.ipVersion, b.subarray(0, n)),
      dst_port: ports ? dp : null,
      flow_id: df.id,
      community_id: cid,
      packet: { capture_id: flow.capture.id, flow_index: hit.ref.packet },
    },
  };
}

/** Field values cut to the schema's bounds (a long TXT answer, a huge header), marked with "…". */
function clampFields(fields: Record<string, string | string[]>): Record<string, string | string[]> {
  const cut = (v: string, n: number): string => (v.length > n ? `${v.slice(0, n - 1)}…` : v);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(fields)) out[k.slice(0, 64)] = Array.isArray(v) ? v.slice(0, 256).map((x) => cut(x, 1024)) : cut(v, 4096);
  return out;
}

function discoveryEvent(sensor: string, type: 'service' | 'host', what: string, host: string, port: number | null, peer: string | null, flowId: string | null, ref: PacketRef, rawFields: Record<string, string | string[]>): DiscoveryEvent {
  const fields = clampFields(rawFields);
  const key = createHash('sha256').update(JSON.stringify([type, what, host, port, fields])).digest('hex').slice(0, 24);
  return {
    id: `disc-${key}`,
    sensor,
    ts: formatTs(ref.tsSec, ref.tsNsec),
    rank: 0,
    kind: 'discovery',
    discovery: { type, what, host, port, peer, flow_id: flowId, fields },
  };
}
