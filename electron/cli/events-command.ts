/**
 * `tapline events --store DIR [--kind K] [--since T] [--until T] [--host IP] [--text S] [--limit N] [--json]`:
 * the events in the store's journal, every kind (log, flow, file, notice, import, class-match,
 * ranking, and kinds other issues add), oldest first among the newest N (default 100). --json
 * prints one event per line as stored (a log event with its parsed fields and flow_ids).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TaplineEvent } from '../../common/bridge/messages.js';
import { parseTimestamp } from '../../common/time/timestamp.js';
import { EventJournal } from '../../node/store/event-journal.js';
import { UsageError, needString, parseTimeArg } from './cli-args.js';
import { isIP } from 'node:net';

function isoOf(ts: string): string {
  const t = parseTimestamp(ts);
  if (!t) return ts;
  return `${new Date(t.sec * 1000).toISOString().slice(0, 19)}.${String(Math.floor(t.nsec / 1000)).padStart(6, '0')}Z`;
}

function endpoint(ip: string | null, port: number | null): string {
  if (ip === null) return '';
  return port === null ? ip : `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** One line per event: time, kind, and what matters for the kind. */
export function eventLine(e: TaplineEvent): string {
  const head = `${isoOf(e.ts)} ${e.kind}${e.rank ? ` rank=${e.rank}` : ''}`;
  switch (e.kind) {
    case 'log': {
      const who = [e.host, e.app].filter((x) => x !== null).join(' ');
      const eps = e.src_ip !== null || e.dst_ip !== null ? ` ${endpoint(e.src_ip, e.src_port)} -> ${endpoint(e.dst_ip, e.dst_port)}` : '';
      const flows = e.flow_ids.length ? ` flows=${e.flow_ids.join(',')}` : '';
      const msg = e.message.replace(/[\r\n]+/g, ' ');
      return `${head} ${e.format} from ${endpoint(e.sender_ip, e.sender_port) || '?'}/${e.transport}${who ? ` ${who}:` : ''} ${msg}${eps}${flows}`;
    }
    case 'flow':
      return `${head} ${e.flow.id} ${endpoint(e.flow.client_ip, e.flow.client_port)} -> ${endpoint(e.flow.server_ip, e.flow.server_port)}`;
    case 'notice':
      return `${head} ${e.level}: ${e.message}`;
    case 'import':
      return `${head} ${e.result.status} ${e.result.path}`;
    case 'file':
      return `${head} ${e.file.sha256} ${e.file.name ?? ''} flow=${e.file.flowId}`;
    default: {
      const { id: _i, sensor: _s, ts: _t, kind: _k, rank: _r, ...rest } = e as TaplineEvent & Record<string, unknown>;
      return `${head} ${JSON.stringify(rest)}`;
    }
  }
}

export async function eventsCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      kind: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      host: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const storeDir = resolve(needString(values.store, 'store'));
  if (values.kind !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(values.kind)) throw new UsageError(`--kind "${values.kind}" is not an event kind (e.g. log, flow, notice, file)`);
  if (values.host !== undefined && !isIP(values.host)) throw new UsageError(`--host "${values.host}" is not an IP address`);
  let limit = 100;
  if (values.limit !== undefined) {
    if (!/^\d{1,6}$/.test(values.limit) || Number(values.limit) < 1) throw new UsageError(`--limit "${values.limit}" must be 1..999999`);
    limit = Number(values.limit);
  }
  const since = values.since !== undefined ? parseTimeArg(values.since, 'since') : undefined;
  const until = values.until !== undefined ? parseTimeArg(values.until, 'until') : undefined;
  try {
    await stat(join(storeDir, 'store.json'));
  } catch {
    err(`error: ${storeDir} is not a Tapline store (no store.json)`);
    return 1;
  }
  const journal = await EventJournal.open(storeDir);
  const events = await journal.search({ kind: values.kind, since, until, host: values.host, text: values.text, limit });
  events.reverse();
  for (const e of events) out.write(values.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
  if (!values.json && events.length === 0) err('no events match');
  return 0;
}
