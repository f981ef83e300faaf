/**
 * `tapline carve --store DIR [flow filters as in flows] -o OUTDIR [--json]`: carves every matching
 * TCP and UDP flow (HTTP, SMTP, FTP data, TFTP) (node/carve/carve-flow.ts) and copies each carved file to OUTDIR under its sanitized
 * name (deduplicated with a numeric suffix; never outside OUTDIR). --json prints one object per
 * carved file.
 */
import { parseArgs } from 'node:util';
import { constants, linkSync, unlinkSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { sanitizeFileName } from '../../common/carve/sanitize-name.js';
import type { FlowQuery } from '../../common/index/index-reader.js';
import { carveFlow, type CarveFlowResult } from '../../node/carve/carve-flow.js';
import { carveFlowsInOnePass } from '../../node/carve/carve-pass.js';
import { copyFileOffThread } from '../../node/carve/hash-worker.js';
import { FileStore } from '../../node/carve/file-store.js';
import type { CarveCopies } from '../../node/carve/finalize-file.js';
import { startSpoolWorkers } from '../../node/carve/hash-worker.js';
import { ftpControlFlows } from '../../node/carve/ftp-lookup.js';
import { tftpRequestFlows } from '../../node/carve/tftp-lookup.js';
import { Store, type FoundFlow } from '../../node/store/store.js';
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

/**
 * Flows carved in one sequential pass over their capture rather than flow by flow: when they
 * carry a good part of the capture's bytes, or are many (each per-flow read opens the capture and
 * reads its own runs of records). A few flows of a big capture are cheaper to read by offset.
 */
export function carvesInOnePass(flows: readonly FoundFlow[]): boolean[] {
  const bytes = new Map<string, number>();
  const count = new Map<string, number>();
  for (const f of flows) {
    const id = f.capture.id;
    bytes.set(id, (bytes.get(id) ?? 0) + f.record.clientBytes + f.record.serverBytes);
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  return flows.map((f) => {
    const id = f.capture.id;
    return (count.get(id) ?? 0) >= ONE_PASS_MIN_FLOWS || (bytes.get(id) ?? 0) * ONE_PASS_MIN_SHARE >= f.capture.size;
  });
}

/** One pass when the flows hold at least a quarter of the capture's bytes, or are at least 256. */
const ONE_PASS_MIN_SHARE = 4;
const ONE_PASS_MIN_FLOWS = 256;

/**
 * Gives the copy at `tmp` the name `target` without replacing anything there: a hard link (fails
 * when the name is taken) and the temporary name removed, so the file keeps one name and its own
 * inode; where links are not supported, an exclusive copy.
 */
async function placeExclusive(tmp: string, target: string): Promise<void> {
  // link and unlink are a few µs of metadata each: synchronous, without a pool round trip and
  // its promise on the carving thread
  try {
    linkSync(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    await copyFile(tmp, target, constants.COPYFILE_EXCL);
  }
  unlinkSync(tmp);
}

/** Runs fn over items with at most `width` in flight. */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export async function carve(storeDir: string, q: FlowQuery, limit: number, outDir: string, json: boolean, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  // the spool workers boot while the store and its indexes are opened (one core is idle then)
  startSpoolWorkers();
  const s = await Store.open(storeDir, { log: err });
  try {
    const root = resolve(outDir);
    await mkdir(root, { recursive: true });
    const files = FileStore.open(s.dir);
    // TCP (HTTP, mail, FTP data) and UDP (TFTP transfers); the newest `limit` flows, in the
    // order they started. Chronological, as tshark's export: the first file seen keeps a name
    // that several files want. And the single pass finishes flows roughly in that order, so
    // files are named and printed while it goes on; newest first, the flow listed first was
    // the last to finish, and every name and line waited for the end of the capture.
    const flows = (await s.findFlows(q, limit)).filter((f) => f.record.proto === 6 || f.record.proto === 17).reverse();
    // names already in OUTDIR count as taken (case-insensitively: case-folding file systems)
    const taken = new Set((await readdir(root)).map((n) => n.toLowerCase()));
    let count = 0;
    const ftpControls = await ftpControlFlows(s);
    const tftpRequests = await tftpRequestFlows(s);
    // results arrive in any order; files are named and printed in flow order (names are
    // deduplicated in that order). Each file is copied into OUTDIR as soon as its flow is carved,
    // under a temporary name, and gets its name when its turn comes: copies overlap the carving
    // instead of all waiting for the first flow in order (a tail of ~0.3 s per 256 MiB).
    const ready = new Array<CarveFlowResult | undefined>(flows.length);
    const staged = new Array<Promise<string>[] | undefined>(flows.length);
    const temps = new Set<string>();
    let tmpSeq = 0;
    const tempPath = (): string => {
      let name = `.tapline-carve-${process.pid}-${tmpSeq++}.part`;
      // never a name OUTDIR already had: temporary names left over are removed at the end
      while (taken.has(name.toLowerCase())) name = `.tapline-carve-${process.pid}-${tmpSeq++}.part`;
      taken.add(name.toLowerCase());
      const tmp = join(root, name);
      temps.add(tmp);
      return tmp;
    };
    // files received are copied into OUTDIR as the spool stage writes them (no copy made
    // afterwards from the store: a read and, on a VM, costly page-cache pages); other records
    // (decoded, MIME parts, assembled ranges) and copies that could not be made are copied below
    const premade = new Map<string, string>();
    const copies: CarveCopies = { nextPath: tempPath, made: (id, path) => void premade.set(id, path) };
    const copied = { alongside: 0, afterwards: 0 };
    const stage = (rec: CarvedFileRecord): Promise<string> => {
      const pre = premade.get(rec.id);
      if (pre !== undefined) {
        premade.delete(rec.id);
        copied.alongside++;
        return Promise.resolve(pre);
      }
      copied.afterwards++;
      const tmp = tempPath();
      // whatever is already in OUTDIR is never overwritten; a reflink where the file system can
      // (an independent copy either way, never a shared inode)
      const p = copyFileOffThread(files.contentPath(rec.sha256), tmp).then(() => tmp);
      p.catch(() => undefined);
      return p;
    };
    let nextOut = 0;
    let output: Promise<void> = Promise.resolve();
    const naming: Promise<void>[] = [];
    const emit = (): void => {
      for (; nextOut < flows.length && ready[nextOut]; nextOut++) {
        const r = ready[nextOut] as CarveFlowResult;
        const copies = staged[nextOut] as Promise<string>[];
        ready[nextOut] = undefined;
        staged[nextOut] = undefined;
        r.files.forEach((rec, k) => {
          const name = dedupe(outputName(rec), taken);
          taken.add(name.toLowerCase());
          const target = join(root, name);
          if (!target.startsWith(root + sep)) throw new Error(`refusing to write outside ${root}: ${name}`);
          // named as soon as copied (the link and unlink of 500 files one after another were a
          // tail of their own after the last flow); printed in flow order
          const named = copies[k].then(async (tmp) => {
            await placeExclusive(tmp, target);
            temps.delete(tmp);
          });
          named.catch(() => undefined);
          naming.push(named);
          output = output.then(async () => {
            await named;
            count++;
            if (json) {
              const j: CarveJson = { ...rec, flow_id: rec.flowId, user_agent: rec.userAgent, path: target };
              out.write(`${JSON.stringify(j)}\n`);
            } else {
              out.write(`${rec.sha256}  ${String(rec.size).padStart(10)}  ${rec.mime ?? '-'}  ${target}\n`);
            }
          });
        });
      }
    };
    const deliver = (i: number, r: CarveFlowResult): void => {
      ready[i] = r;
      staged[i] = r.files.map(stage);
      emit();
    };
    const onePass = carvesInOnePass(flows);
    const passIdx = flows.flatMap((_, i) => (onePass[i] ? [i] : []));
    const perFlowIdx = flows.flatMap((_, i) => (onePass[i] ? [] : [i]));
    await Promise.all([
      passIdx.length > 0
        ? carveFlowsInOnePass(s, passIdx.map((i) => flows[i]), { ftpControls, tftpRequests, copies, onResult: (j, r) => deliver(passIdx[j], r) })
        : Promise.resolve(),
      // a few flows of a big capture: read by offset, a few at a time (their waits on file I/O overlap)
      eachLimited(perFlowIdx, CARVE_CONCURRENCY, async (i) => deliver(i, await carveFlow(s, flows[i], { ftpControls, tftpRequests, copies }))),
    ]);
    try {
      await output;
    } finally {
      // copies left unnamed by a failure, or made for files that became no record (once the
      // namings under way have ended)
      await Promise.allSettled(naming);
      await Promise.all([...temps].map((t) => rm(t, { force: true }).catch(() => undefined)));
    }
    if (process.env.TAPLINE_DEBUG) err(`OUTDIR copies: ${copied.alongside} written as received, ${copied.afterwards} copied afterwards`);
    err(`carved ${count} file${count === 1 ? '' : 's'} from ${flows.length} TCP/UDP flow${flows.length === 1 ? '' : 's'} into ${root}`);
    return 0;
  } finally {
    await s.close();
  }
}
