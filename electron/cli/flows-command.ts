/** `tapline flows --store DIR [filters] [--json]` */
import { flowToJson, tcpFlagLetters } from '../../common/flow/flow-json.js';
import type { FlowQuery } from '../../common/index/index-reader.js';
import { readFlowLogCounts } from '../../node/logs/flow-log-index.js';
import { Store } from '../../node/store/store.js';

export async function flowsCommand(store: string, q: FlowQuery, limit: number, json: boolean, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const s = await Store.open(store, { log: err });
  try {
    const found = await s.findFlows(q, limit);
    if (json) {
      // log_count: log events linked to the flow (node/logs/flow-log-index.ts)
      const logs = await readFlowLogCounts(s.dir);
      for (const f of found) out.write(`${JSON.stringify({ ...flowToJson(f.id, f.record), log_count: logs.get(f.id) ?? 0 })}\n`);
      return 0;
    }
    const rows = found.map((f) => {
      const j = flowToJson(f.id, f.record);
      const ep = (ip: string | null, port: number | null): string => (ip === null ? '-' : port === null ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
      return [
        j.id,
        new Date(Number(j.first_ts.split('.')[0]) * 1000).toISOString().replace('.000Z', 'Z'),
        j.proto === null ? j.kind : String(j.proto),
        ep(j.client_ip, j.client_port),
        ep(j.server_ip, j.server_port),
        String(j.packets),
        String(j.bytes),
        j.tcp_flags === null ? '' : tcpFlagLetters(j.tcp_flags),
        j.community_id ?? j.note ?? '',
      ];
    });
    const header = ['ID', 'FIRST (UTC)', 'PROTO', 'CLIENT', 'SERVER', 'PKTS', 'BYTES', 'FLAGS', 'COMMUNITY ID'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
    out.write(`${line(header)}\n`);
    for (const r of rows) out.write(`${line(r)}\n`);
    if (found.length === 0) err('no flows match');
    return 0;
  } finally {
    await s.close();
  }
}
