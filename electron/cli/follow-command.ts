/**
 * `tapline follow --store DIR --flow ID [--format ascii|hex|raw] [--max-bytes N]`: a TCP or UDP
 * flow's payload in order, with direction and offsets, in tshark's follow formats (raw is
 * byte-for-byte tshark's `-z follow,tcp,raw,N` apart from the Filter line, which names the flow).
 */
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { FOLLOW_FORMATS, FollowWriter, endpointText, type FollowFormat } from '../../common/reassembly/follow-format.js';
import type { TcpDirectionStats } from '../../common/reassembly/tcp-direction.js';
import { followFlow, flowStreamInfo, type FollowSummary } from '../../node/store/flow-stream.js';
import { Store } from '../../node/store/store.js';
import { UsageError, needString } from './cli-args.js';

/** Output is written in batches of about this size, waiting for stdout to drain in between. */
const FLUSH_BYTES = 256 * 1024;

export async function followCommand(args: string[], err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      flow: { type: 'string' },
      format: { type: 'string' },
      'max-bytes': { type: 'string' },
    },
    strict: true,
  });
  const storeDir = needString(values.store, 'store');
  const id = needString(values.flow, 'flow');
  const format = parseFormat(values.format);
  const maxBytes = values['max-bytes'] !== undefined ? parseMaxBytes(values['max-bytes']) : undefined;
  return follow(storeDir, id, format, maxBytes, process.stdout, err);
}

export async function follow(storeDir: string, id: string, format: FollowFormat, maxBytes: number | undefined, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const s = await Store.open(storeDir, { log: err });
  try {
    const flow = await s.flowById(id);
    if (!flow) {
      err(`error: no flow ${id} in store ${s.dir}`);
      return 1;
    }
    const info = flowStreamInfo(flow);
    const w = new FollowWriter(format);
    w.header({
      protocol: info.protocol,
      format,
      filter: `flow.id eq ${info.id}`,
      node0: endpointText(info.client.ip, info.client.port),
      node1: endpointText(info.server.ip, info.server.port),
    });
    const flush = async (): Promise<void> => {
      if (w.length === 0) return;
      if (!out.write(w.take())) await once(out, 'drain');
    };
    const summary = await followFlow(
      s,
      flow,
      { onData: (c) => w.chunk(c.dir, c.offset, c.data, c.gapBefore), onEnd: () => undefined },
      { maxBytes, afterPacket: () => (w.length >= FLUSH_BYTES ? flush() : undefined) },
    );
    w.footer();
    await flush();
    for (const line of notes(summary)) err(line);
    return 0;
  } finally {
    await s.close();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function parseFormat(v: string | undefined): FollowFormat {
  if (v === undefined) return 'ascii';
  if ((FOLLOW_FORMATS as readonly string[]).includes(v)) return v as FollowFormat;
  throw new UsageError(`--format "${v}" must be one of ${FOLLOW_FORMATS.join(', ')}`);
}

function parseMaxBytes(v: string): number {
  if (!/^\d{1,15}$/.test(v) || Number(v) < 1) throw new UsageError(`--max-bytes "${v}" is not a positive whole number`);
  return Number(v);
}

/** What the analyst should know about the reconstruction, on stderr (stdout stays the stream). */
function notes(s: FollowSummary): string[] {
  const out: string[] = [];
  if (s.capped) out.push(`note: output stopped after --max-bytes (${s.bytes[0] + s.bytes[1]} bytes)`);
  const names = ['client->server', 'server->client'];
  const tcp = s.stats.tcp;
  for (const d of [0, 1] as const) {
    const parts: string[] = [];
    const t: TcpDirectionStats | undefined = tcp?.[d];
    const end = s.ends[d];
    if (t && t.gapBytes > 0) parts.push(`${t.gaps} gap${t.gaps === 1 ? '' : 's'} (${t.gapBytes} bytes missing from the capture${end && end.gapAtEnd > 0 ? `, ${end.gapAtEnd} of them at the end` : ''})`);
    else if (!t && end && end.gapAtEnd > 0) parts.push(`${end.gapAtEnd} bytes cut by the snaplen`);
    if (t && t.conflicts > 0) parts.push(`${t.conflicts} overlapping segment${t.conflicts === 1 ? '' : 's'} with different bytes (${plural(t.conflictBytes, 'byte')}; the first received were kept)`);
    if (t && t.lateBytes > 0) parts.push(`${t.lateBytes} bytes arrived after their range was skipped`);
    if (t && t.memoryFlushes > 0) parts.push(`${t.memoryFlushes} early flush${t.memoryFlushes === 1 ? '' : 'es'} at the out-of-order memory limit`);
    if (parts.length) out.push(`note: ${names[d]}: ${parts.join('; ')}`);
  }
  if (s.stats.datagramsIncomplete > 0) out.push(`note: ${s.stats.datagramsIncomplete} fragmented datagram(s) never completed`);
  return out;
}
