/**
 * The rule engine as conditional capture's alert source: structurally an `AlertTrigger`
 * (common/capture/alert-trigger.ts on the livestore branch: `inspect(flowKey, packet)` → true when
 * this packet raises an alert for its flow). Declared here by shape, not imported, so either
 * branch builds alone. Per live flow it keeps a FlowDetector and, for TCP/UDP, the reassembly
 * and application layer, so HTTP/DNS/TLS rules fire on live traffic too. Flows are bounded
 * (least recently used dropped). Environment-free.
 */
import { FlowAppLayer } from '../discovery/app-layer.js';
import type { BodyDecoder } from '../discovery/http-transactions.js';
import { DecodeStatus, FragmentKind, type DecodedPacket } from '../packet/decoded-packet.js';
import { FlowFollower } from '../reassembly/flow-follower.js';
import type { Direction } from '../reassembly/stream-types.js';
import { FlowDetector, type RuleHit } from './flow-detector.js';
import type { RuleSet } from './rule-set.js';
import { ThresholdState } from './threshold-state.js';

/** What conditional capture hands a trigger (same shape as AlertPacket). */
export interface TriggerPacket {
  linkType: number;
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  decoded: DecodedPacket;
}

interface LiveFlow {
  detector: FlowDetector;
  follower: FlowFollower | null;
  app: FlowAppLayer | null;
  client: Uint8Array;
  clientPort: number;
  packets: number;
  hits: RuleHit[];
}

export interface RuleTriggerOptions {
  maxFlows?: number;
  /**
   * Undoes HTTP content codings (gzip, deflate, br) so file.data rules see a body as the user got
   * it, as offline detect does (node: nodeBodyDecoder from node/rules/body-decoder.ts). Without
   * it, coded bodies are matched as sent; chunked framing is undone either way.
   */
  decodeBody?: BodyDecoder;
  /** Every alert, with the flow key (for IDS events next to the conditional capture). */
  onAlert?: (flowKey: string, hit: RuleHit) => void;
}

export class RuleTrigger {
  private readonly flows = new Map<string, LiveFlow>();
  private readonly thresholds = new ThresholdState();
  private readonly maxFlows: number;

  constructor(
    private readonly rules: RuleSet,
    private readonly opts: RuleTriggerOptions = {},
  ) {
    this.maxFlows = opts.maxFlows ?? 20_000;
  }

  inspect(flowKey: string, p: TriggerPacket): boolean {
    const d = p.decoded;
    if (d.status !== DecodeStatus.Ip) return false;
    const f = this.flowFor(flowKey, d);
    const i = f.packets++;
    f.hits.length = 0;
    if (d.fragment !== FragmentKind.Later) {
      const n = d.ipVersion === 6 ? 16 : 4;
      let dir: Direction = 0;
      for (let k = 0; k < n; k++) if (d.src[k] !== f.client[k]) dir = 1;
      if (d.hasPorts && d.srcPort !== f.clientPort) dir = 1;
      const payload = d.payloadOffset >= 0 ? p.data.subarray(d.payloadOffset, d.payloadOffset + d.payloadLength) : new Uint8Array(0);
      f.detector.packet(dir, payload, d.tcpFlags, { tsSec: p.tsSec, tsNsec: p.tsNsec, packet: i });
    }
    f.follower?.push(p.linkType, p.data, p.tsSec, p.tsNsec);
    return f.hits.length > 0;
  }

  /** Ends a flow's tracking (the capture saw it close or time out). */
  end(flowKey: string): void {
    const f = this.flows.get(flowKey);
    if (!f) return;
    f.follower?.finish();
    f.app?.finish();
    this.flows.delete(flowKey);
  }

  private flowFor(key: string, d: DecodedPacket): LiveFlow {
    const have = this.flows.get(key);
    if (have) {
      // most recently used last
      this.flows.delete(key);
      this.flows.set(key, have);
      return have;
    }
    if (this.flows.size >= this.maxFlows) {
      const oldest = this.flows.keys().next().value;
      if (oldest !== undefined) this.end(oldest);
    }
    const n = d.ipVersion === 6 ? 16 : 4;
    // the first packet's sender is the client, unless it is a SYN+ACK (then the receiver is)
    const synAck = d.proto === 6 && (d.tcpFlags & 0x12) === 0x12;
    const client = (synAck ? d.dst : d.src).slice(0, n);
    const server = (synAck ? d.src : d.dst).slice(0, n);
    const clientPort = d.hasPorts ? (synAck ? d.dstPort : d.srcPort) : 0;
    const serverPort = d.hasPorts ? (synAck ? d.srcPort : d.dstPort) : 0;
    const hits: RuleHit[] = [];
    const detector = new FlowDetector(this.rules, { id: key, ipVersion: d.ipVersion === 6 ? 6 : 4, proto: d.proto, client, server, clientPort, serverPort }, this.thresholds, (h) => {
      hits.push(h);
      this.opts.onAlert?.(key, h);
    });
    let follower: FlowFollower | null = null;
    let app: FlowAppLayer | null = null;
    if (d.hasPorts && (d.proto === 6 || d.proto === 17)) {
      app = new FlowAppLayer(d.proto === 6 ? 'tcp' : 'udp', serverPort, clientPort, detector, this.opts.decodeBody ?? null);
      const a = app;
      follower = new FlowFollower({ ipVersion: d.ipVersion, proto: d.proto, client, server, clientPort, serverPort }, { onData: (c) => a.onData(c), onEnd: () => undefined });
    }
    const f: LiveFlow = { detector, follower, app, client, clientPort, packets: 0, hits };
    this.flows.set(key, f);
    return f;
  }
}
