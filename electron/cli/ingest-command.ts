/**
 * `tapline ingest --store DIR [--json] [--write-events] FILE...`: Suricata eve.json and Zeek
 * conn/http/files/… logs (JSON or TSV) linked to stored flows. Prints one line per record (or the
 * events as JSON) and a summary per file on stderr; --write-events appends them to the journal,
 * skipping ids already there.
 */
import { parseArgs } from 'node:util';
import type { TaplineEvent } from '../../common/bridge/messages.js';
import { FlowLinker } from '../../node/ingest/flow-linker.js';
import { ingestFile } from '../../node/ingest/ingest-file.js';
import { EventJournal } from '../../node/store/event-journal.js';
import { Store } from '../../node/store/store.js';
import { UsageError, needString } from './cli-args.js';
import { textLine } from './detect-command.js';

export async function ingestCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { store: { type: 'string' }, json: { type: 'boolean' }, 'write-events': { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const storeDir = needString(values.store, 'store');
  if (!positionals.length) throw new UsageError('ingest needs at least one log file');
  const s = await Store.open(storeDir, { log: err });
  const events: TaplineEvent[] = [];
  let failed = false;
  try {
    const linker = new FlowLinker(s);
    for (const file of positionals) {
      const sum = await ingestFile(s, file, 'local', (e) => {
        events.push(e);
        out.write(values.json ? `${JSON.stringify(e)}\n` : `${externalLine(e)}\n`);
      }, linker).catch((e: unknown) => {
        err(`error: ${file}: ${(e as Error).message}`);
        failed = true;
        return null;
      });
      if (!sum) continue;
      err(`ingest: ${file}: ${sum.format}, ${sum.records} records, ${sum.linked} linked to flows, ${sum.errorCount} bad lines`);
      for (const e of sum.errors) err(`  line ${e.line}: ${e.error}`);
      if (sum.format === 'unknown') failed = true;
    }
    if (values['write-events']) {
      const journal = await EventJournal.open(s.dir);
      const known = new Set<string>();
      for (const kind of ['ids', 'external']) for (const e of await journal.search({ kind, limit: Number.MAX_SAFE_INTEGER })) known.add(e.id);
      const fresh = events.filter((e) => !known.has(e.id));
      await journal.append(fresh);
      await journal.flush();
      err(`journal: ${fresh.length} events written, ${events.length - fresh.length} already there`);
    }
  } finally {
    await s.close();
  }
  return failed ? 1 : 0;
}

function externalLine(e: TaplineEvent): string {
  if (e.kind !== 'external') return textLine(e);
  const x = e.external;
  const ep = (ip: string | null, port: number | null): string => (ip === null ? '-' : port === null ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return `${e.ts}  [${x.source}:${x.log}] ${ep(x.src_ip, x.src_port)} -> ${ep(x.dst_ip, x.dst_port)} flow ${x.flow_id ?? '-'}${x.link ? ` (${x.link})` : ''}`;
}
