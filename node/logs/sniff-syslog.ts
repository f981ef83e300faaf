/**
 * Syslog overheard in captures: the store's UDP and TCP flows on the syslog ports (514 and any
 * configured) are read back (flowPackets → reassembly, node/store/flow-stream.ts) and every
 * message becomes a log event, timed by its packet and sent by the packet's source. UDP: one
 * message per datagram; TCP: RFC 6587 framing per direction. Idempotent: each event's id is
 * derived from its flow and position, and flows already read are listed in STORE/logs/sniffed.json
 * (written after their events are in the journal), so re-importing adds nothing twice.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SyslogFramer } from '../../common/logs/syslog-framer.js';
import { AtomicFile } from '../fs/atomic-file.js';
import { readFlowStream } from '../store/flow-stream.js';
import type { FoundFlow, Store } from '../store/store.js';
import type { LogIntake } from './log-intake.js';

export const DEFAULT_SNIFF_PORTS: readonly number[] = [514];

const SniffedSchema = z.object({ version: z.literal(1), flows: z.array(z.string().max(64)) });

export interface SniffResult {
  flows: number;
  messages: number;
  /** Flows read by an earlier run. */
  alreadyRead: number;
  errors: string[];
}

async function readSniffed(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
  const parsed = SniffedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is damaged (${parsed.error.issues[0]?.message}); move it away to read every syslog flow again`);
  return new Set(parsed.data.flows);
}

export async function sniffSyslog(store: Store, intake: LogIntake, sensor: string, opts: { ports?: readonly number[] } = {}): Promise<SniffResult> {
  const ports = opts.ports ?? DEFAULT_SNIFF_PORTS;
  const dir = join(store.dir, 'logs');
  await mkdir(dir, { recursive: true });
  const markerPath = join(dir, 'sniffed.json');
  const done = await readSniffed(markerPath);
  const result: SniffResult = { flows: 0, messages: 0, alreadyRead: 0, errors: [] };
  const flows = new Map<string, { flow: FoundFlow; port: number }>();
  for (const port of ports) {
    for (const f of await store.findFlows({ port })) {
      if (f.record.proto !== 17 && f.record.proto !== 6) continue;
      if (!flows.has(f.id)) flows.set(f.id, { flow: f, port });
    }
  }
  const ordered = [...flows.values()].sort((a, b) => (a.flow.id < b.flow.id ? -1 : 1));
  for (const { flow, port } of ordered) {
    if (done.has(flow.id)) {
      result.alreadyRead++;
      continue;
    }
    try {
      result.messages += await sniffFlow(store, intake, sensor, flow, port);
      result.flows++;
      done.add(flow.id);
    } catch (e) {
      result.errors.push(`flow ${flow.id}: ${(e as Error).message}`);
    }
  }
  await intake.flush();
  if (intake.stats.dropped_write_failed === 0) {
    const f = await AtomicFile.create(markerPath);
    try {
      await f.write(new TextEncoder().encode(`${JSON.stringify({ version: 1, flows: [...done].sort() })}\n`));
      await f.commit();
    } catch (e) {
      await f.abort();
      throw e;
    }
  }
  return result;
}

async function sniffFlow(store: Store, intake: LogIntake, sensor: string, flow: FoundFlow, port: number): Promise<number> {
  const s = await readFlowStream(store, flow, { maxBytes: 256 * 1024 * 1024 });
  // the direction towards the syslog port carries the messages (both when both ends use it)
  const toServer = s.server.port === port;
  const toClient = s.client.port === port;
  const ends = [s.client, s.server];
  let n = 0;
  const framers = new Map<number, SyslogFramer>();
  let current = s.segments[0];
  const offer = async (bytes: Uint8Array, dir: 0 | 1, truncated: boolean): Promise<void> => {
    const from = ends[dir];
    if (intake.saturated) await intake.whenDrained();
    intake.offer(bytes, {
      transport: 'capture',
      senderIp: from.ip,
      senderPort: from.port,
      receivedSec: current.tsSec,
      receivedNsec: current.tsNsec,
      captureFlow: flow.id,
      id: `${sensor}:sniff:${flow.id}:${n++}`,
      truncated,
    });
  };
  const pending: { bytes: Uint8Array; dir: 0 | 1; truncated: boolean }[] = [];
  for (const seg of s.segments) {
    const dir = seg.dir as 0 | 1;
    if ((dir === 0 && !toServer) || (dir === 1 && !toClient)) continue;
    current = seg;
    if (s.protocol === 'udp') {
      await offer(seg.data, dir, false);
      continue;
    }
    let fr = framers.get(dir);
    if (!fr) {
      fr = new SyslogFramer((f) => pending.push({ bytes: f.bytes, dir, truncated: f.truncated }));
      framers.set(dir, fr);
    }
    fr.push(seg.data);
    for (const p of pending.splice(0)) await offer(p.bytes, p.dir, p.truncated);
  }
  for (const fr of framers.values()) fr.end();
  for (const p of pending.splice(0)) await offer(p.bytes, p.dir, p.truncated);
  return n;
}
