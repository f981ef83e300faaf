/** `tapline slice` by 5-tuple, by flow id, or in bulk from an NDJSON file of queries. */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TupleQuery } from '../../common/index/index-reader.js';
import { SliceQuerySchema, firstIssue } from '../../common/schemas/slice-query.js';
import type { SliceFormat } from '../../node/store/slice-writer.js';
import { writeSlice } from '../../node/store/slicer.js';
import { Store } from '../../node/store/store.js';
import { UsageError } from './cli-args.js';

export type SliceTarget = { kind: 'tuple'; query: TupleQuery } | { kind: 'flow'; id: string } | { kind: 'bulk'; file: string };

export async function sliceCommand(
  store: string,
  target: SliceTarget,
  outPath: string,
  format: SliceFormat | undefined,
  out: NodeJS.WritableStream,
  err: (line: string) => void,
): Promise<number> {
  if (target.kind === 'bulk') return bulkSlice(store, target.file, outPath, format, out, err);
  const s = await Store.open(store, { log: err });
  try {
    if (target.kind === 'flow') {
      const f = await s.flowById(target.id);
      if (!f) {
        err(`error: no flow ${target.id} in store ${s.dir}`);
        return 1;
      }
      const r = await writeSlice(s, { flows: [f], format }, outPath);
      out.write(`wrote ${outPath}: ${r.packets} packets of flow ${target.id} (${r.format})\n`);
      return 0;
    }
    const q = target.query;
    const flows = await s.findTuple(q);
    if (flows.length === 0) {
      err(`error: no flow matches ${describe(q)}; nothing written`);
      return 1;
    }
    const r = await writeSlice(s, { flows, stime: q.stime, etime: q.etime, format }, outPath);
    out.write(`wrote ${outPath}: ${r.packets} packets from ${flows.length} flow${flows.length === 1 ? '' : 's'} (${r.format})\n`);
    if (r.packets === 0) err(`warning: the matching flows have no packets inside the time window`);
    return 0;
  } finally {
    await s.close();
  }
}

function describe(q: TupleQuery): string {
  const ep = (h: string, p?: number): string => (p === undefined ? h : `${h}:${p}`);
  return `${ep(q.sip.text, q.spt)} <-> ${ep(q.dip.text, q.dpt)}${q.proto !== undefined ? ` proto ${q.proto}` : ''}`;
}

async function bulkSlice(store: string, file: string, outDir: string, format: SliceFormat | undefined, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--queries ${file}: ${(e as Error).message}`);
  }
  // validate every line before writing anything
  const queries: { line: number; q: TupleQuery }[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      problems.push(`${file}:${i + 1}: not a JSON object`);
      return;
    }
    const p = SliceQuerySchema.safeParse(obj);
    if (!p.success) problems.push(`${file}:${i + 1}: ${firstIssue(p.error)}`);
    else queries.push({ line: i + 1, q: p.data });
  });
  if (problems.length) {
    for (const p of problems) err(`error: ${p}`);
    err(`error: ${problems.length} invalid quer${problems.length === 1 ? 'y' : 'ies'}; nothing written`);
    return 2;
  }
  await mkdir(outDir, { recursive: true });
  const s = await Store.open(store, { log: err });
  const ext = format === 'pcapng' ? 'pcapng' : 'pcap';
  try {
    let empty = 0;
    // one pass over the indexes for all queries, then each slice read by offsets
    const found = await s.findTuples(queries.map((x) => x.q));
    for (const [k, { line, q }] of queries.entries()) {
      const flows = found[k];
      const path = join(outDir, `${line}.${ext}`);
      const r = await writeSlice(s, { flows, stime: q.stime, etime: q.etime, format }, path);
      if (r.packets === 0) empty++;
      out.write(`${path}: ${r.packets} packets from ${flows.length} flow${flows.length === 1 ? '' : 's'}\n`);
    }
    if (empty) err(`note: ${empty} of ${queries.length} queries matched no packets (their files hold only a header)`);
    return 0;
  } finally {
    await s.close();
  }
}
