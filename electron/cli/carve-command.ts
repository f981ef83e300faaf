/**
 * `tapline carve --store DIR [flow filters as in flows] -o OUTDIR [--json]`: carves every matching
 * TCP and UDP flow (HTTP, SMTP, FTP data, TFTP) (node/carve/carve-flow.ts) and copies each carved file to OUTDIR under its sanitized
 * name (deduplicated with a numeric suffix; never outside OUTDIR). --json prints one object per
 * carved file.
 */
import { parseArgs } from 'node:util';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { sanitizeFileName } from '../../common/carve/sanitize-name.js';
import type { FlowQuery } from '../../common/index/index-reader.js';
import { carveFlow } from '../../node/carve/carve-flow.js';
import { FileStore } from '../../node/carve/file-store.js';
import { ftpControlFlows } from '../../node/carve/ftp-lookup.js';
import { Store } from '../../node/store/store.js';
import { FLOW_FILTER_OPTIONS, flowFilterFrom, needString } from './cli-args.js';

/** One carved file as `--json` prints it: the record plus snake_case fields the issue names. */
export interface CarveJson extends CarvedFileRecord {
  flow_id: string;
  user_agent: string | null;
  /** Path written under OUTDIR. */
  path: string;
}

export async function carveCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...FLOW_FILTER_OPTIONS, out: { type: 'string', short: 'o' } },
    strict: true,
  });
  const { query: q, limit } = flowFilterFrom(values);
  return carve(needString(values.store, 'store'), q, limit, needString(values.out, 'out (-o)'), values.json ?? false, out, err);
}

/** A name to write under OUTDIR: the sanitized original, else one from the hash and type. */
export function outputName(r: CarvedFileRecord): string {
  const safe = sanitizeFileName(r.name);
  // sanitizeFileName keeps the last path component only; basename is a second guard
  if (safe && safe !== '.' && safe !== '..') return basename(safe);
  return `${r.sha256.slice(0, 16)}${r.ext ? `.${r.ext}` : ''}`;
}

/** name, name-1.ext, name-2.ext, … : the first not taken. */
function dedupe(name: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 1; ; i++) {
    const n = `${stem}-${i}${ext}`;
    if (!taken.has(n.toLowerCase())) return n;
  }
}

const CARVE_CONCURRENCY = 4;

/** Runs fn over items with at most `width` in flight, yielding results in item order. */
async function* inOrder<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const running: Promise<R>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < items.length && running.length < width) {
      const p = fn(items[next++]);
      // a rejection is observed when its turn comes; until then it must not count as unhandled
      p.catch(() => undefined);
      running.push(p);
    }
  };
  fill();
  while (running.length > 0) {
    const r = await (running.shift() as Promise<R>);
    fill();
    yield r;
  }
}

export async function carve(storeDir: string, q: FlowQuery, limit: number, outDir: string, json: boolean, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const s = await Store.open(storeDir, { log: err });
  try {
    const root = resolve(outDir);
    await mkdir(root, { recursive: true });
    const files = FileStore.open(s.dir);
    // TCP (HTTP, mail, FTP data) and UDP (TFTP transfers)
    const flows = (await s.findFlows(q, limit)).filter((f) => f.record.proto === 6 || f.record.proto === 17);
    // names already in OUTDIR count as taken (case-insensitively: case-folding file systems)
    const taken = new Set((await readdir(root)).map((n) => n.toLowerCase()));
    let count = 0;
    // carving waits mostly on file I/O (spool fsyncs, type detection reads): a few flows at a time
    // overlap those waits; output stays in flow order
    const ftpControls = await ftpControlFlows(s);
    const results = inOrder(flows, CARVE_CONCURRENCY, (f) => carveFlow(s, f, { ftpControls }));
    for await (const r of results) {
      for (const rec of r.files) {
        const name = dedupe(outputName(rec), taken);
        taken.add(name.toLowerCase());
        const target = join(root, name);
        if (!target.startsWith(root + sep)) throw new Error(`refusing to write outside ${root}: ${name}`);
        // COPYFILE_EXCL: whatever is already in OUTDIR is never overwritten; FICLONE: a reflink
        // where the file system can (an independent copy either way, never a shared inode)
        await copyFile(files.contentPath(rec.sha256), target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
        const written = target;
        count++;
        if (json) {
          const j: CarveJson = { ...rec, flow_id: rec.flowId, user_agent: rec.userAgent, path: written };
          out.write(`${JSON.stringify(j)}\n`);
        } else {
          out.write(`${rec.sha256}  ${String(rec.size).padStart(10)}  ${rec.mime ?? '-'}  ${written}\n`);
        }
      }
    }
    err(`carved ${count} file${count === 1 ? '' : 's'} from ${flows.length} TCP/UDP flow${flows.length === 1 ? '' : 's'} into ${root}`);
    return 0;
  } finally {
    await s.close();
  }
}
