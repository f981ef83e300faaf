/**
 * `tapline detect --store DIR [--rules FILE]... [--json] [--write-events]`: runs Snort/Suricata
 * rules (default: assets/rules/tapline-default.rules) and discovery over every stored flow and
 * prints the IDS alerts (fast.log style, or one JSON event per line) and discovery records.
 * The rule load report goes to stderr. --write-events appends the events to the store's journal,
 * skipping ids already there, so re-running adds nothing twice.
 */
import { parseArgs } from 'node:util';
import type { TaplineEvent } from '../../common/bridge/messages.js';
import { EventJournal } from '../../node/store/event-journal.js';
import { Store } from '../../node/store/store.js';
import { detectStore } from '../../node/rules/detect-store.js';
import { DEFAULT_RULES_PATH, loadRuleFiles } from '../../node/rules/rule-files.js';
import { UsageError, needString } from './cli-args.js';

export async function detectCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      rules: { type: 'string', multiple: true },
      classification: { type: 'string' },
      var: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'write-events': { type: 'boolean' },
      'no-discovery': { type: 'boolean' },
      'no-rules': { type: 'boolean' },
      'show-credentials': { type: 'boolean' },
      'list-skipped': { type: 'boolean' },
    },
    strict: true,
  });
  const storeDir = needString(values.store, 'store');
  const vars: Record<string, string> = {};
  for (const v of values.var ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(v);
    if (!m) throw new UsageError(`--var "${v}" is not NAME=VALUE`);
    vars[m[1]] = m[2];
  }
  const json = values.json ?? false;
  let rules = null;
  if (!values['no-rules']) {
    const files = values.rules?.length ? values.rules : [DEFAULT_RULES_PATH];
    const loaded = await loadRuleFiles(files, { classificationPath: values.classification, vars });
    const rep = loaded.report;
    err(`rules: ${rep.loaded} loaded, ${rep.skipped.length} skipped`);
    for (const [reason, n] of Object.entries(rep.byReason).sort((a, b) => b[1] - a[1])) err(`  skipped ${n}: ${reason}`);
    if (values['list-skipped']) for (const s of rep.skipped) err(`  ${s.file}:${s.line} sid ${s.sid ?? '?'}: ${s.reason}`);
    rules = loaded.set;
  }
  const s = await Store.open(storeDir, { log: err });
  const events: TaplineEvent[] = [];
  try {
    const summary = await detectStore(s, {
      rules,
      discovery: !values['no-discovery'],
      showCredentials: values['show-credentials'] ?? false,
      onEvent: (e) => {
        events.push(e);
        out.write(json ? `${JSON.stringify(e)}\n` : `${textLine(e)}\n`);
      },
    });
    for (const p of summary.problems) err(`detect: ${p}`);
    err(`detect: ${summary.flows} flows, ${summary.packets} packets, ${summary.alerts} alerts, ${summary.services} services, ${summary.hosts} hosts${summary.invalid ? `, ${summary.invalid} invalid events dropped` : ''}`);
    if (values['write-events']) {
      const journal = await EventJournal.open(s.dir);
      const known = new Set<string>();
      for (const kind of ['ids', 'discovery']) for (const e of await journal.search({ kind, limit: Number.MAX_SAFE_INTEGER })) known.add(e.id);
      const fresh = events.filter((e) => !known.has(e.id));
      await journal.append(fresh);
      await journal.flush();
      err(`journal: ${fresh.length} events written, ${events.length - fresh.length} already there`);
    }
  } finally {
    await s.close();
  }
  return 0;
}

/** Suricata fast.log style for alerts; one summary line for discovery records. */
export function textLine(e: TaplineEvent): string {
  if (e.kind === 'ids') {
    const a = e.alert;
    const ep = (ip: string, port: number | null): string => (port === null ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    return `${e.ts}  [**] [${a.gid}:${a.sid}:${a.rev}] ${a.msg} [**] [Classification: ${a.classtype ?? 'none'}] [Priority: ${a.priority}] {${a.app_proto.toUpperCase()}} ${ep(a.src_ip, a.src_port)} -> ${ep(a.dst_ip, a.dst_port)} flow ${a.flow_id ?? '-'} packet ${a.packet?.flow_index ?? '-'}`;
  }
  if (e.kind === 'discovery') {
    const d = e.discovery;
    const f = Object.entries(d.fields)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)
      .join(' ');
    return `${e.ts}  [${d.type}:${d.what}] ${d.host}${d.port !== null ? `:${d.port}` : ''} ${f}`;
  }
  return JSON.stringify(e);
}
