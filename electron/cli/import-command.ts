/** `tapline import --store DIR FILE|DIR...` */
import { basename } from 'node:path';
import { logsAfterImport } from '../../node/logs/log-journal-sink.js';
import { Store } from '../../node/store/store.js';
import { UsageError } from './cli-args.js';
import { Progress, humanBytes } from './progress.js';

export async function importCommand(store: string, paths: string[], out: NodeJS.WritableStream, err: (line: string) => void, opts: { memoryBudget?: number } = {}): Promise<number> {
  if (paths.length === 0) throw new UsageError('import needs at least one FILE or DIR');
  const s = await Store.open(store, { create: true, log: err, importMemoryBudget: opts.memoryBudget });
  const progress = new Progress();
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failures = 0;
  const imported: string[] = [];
  try {
    await s.import(paths, {
      signal: abort.signal,
      onFileStart: (p, i, n) => progress.start(`[${i + 1}/${n}] ${basename(p)}`),
      onProgress: (done, total) => progress.update(done, total),
      onResult: (r) => {
        progress.clear();
        if (r.captureId && (r.status === 'indexed' || r.status === 'reindexed')) imported.push(r.captureId);
        if (r.status === 'failed') {
          failures++;
          err(`error: ${r.path}: ${r.message}`);
          return;
        }
        const pct = r.bytes > 0 ? ((r.indexBytes / r.bytes) * 100).toFixed(2) : '0';
        const detail = r.status === 'indexed' || r.status === 'reindexed' ? `: ${r.packets} packets, ${r.flows} flows, index ${humanBytes(r.indexBytes)} (${pct}%)` : r.message ? `: ${r.message}` : '';
        out.write(`${r.status} ${r.path}${detail}\n`);
        if (r.message && (r.status === 'indexed' || r.status === 'reindexed')) {
          failures++;
          err(`error: ${r.path}: ${r.message}`);
        }
      },
    });
    if (!abort.signal.aborted) {
      // syslog the captures overheard (UDP/TCP 514) becomes log events in the journal, once; logs
      // received before these captures were imported count for their flows too
      const { sniffed, counted: back } = await logsAfterImport(s, imported, { log: err });
      if (sniffed.messages) out.write(`syslog: ${sniffed.messages} messages from ${sniffed.flows} flows added to the event journal (tapline events --kind log)\n`);
      for (const e of sniffed.errors) err(`warning: syslog in captures: ${e}`);
      if (back.links) out.write(`logs: ${back.links} links from ${back.logs} earlier log events to the new flows counted\n`);
      for (const id of back.truncated) err(`warning: capture ${id}: more logs in its time span than are linked again after an import; the rest are not counted`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await s.close();
  }
  if (abort.signal.aborted) {
    err('interrupted: captures indexed before the interruption are kept; nothing half-written was left');
    return 130;
  }
  return failures ? 1 : 0;
}
