/**
 * `tapline carve --store DIR [flow filters as in flows] -o OUTDIR [--json]`: carves every matching
 * TCP and UDP flow (HTTP, SMTP, FTP data, TFTP) (node/carve/carve-flow.ts) and copies each carved file to OUTDIR under its sanitized
 * name (deduplicated with a numeric suffix; never outside OUTDIR). --json prints one object per
 * carved file.
 */
import { parseArgs } from 'node:util';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { sanitizeFileName } from '../../common/carve/sanitize-name.js';
import type { FlowQuery } from '../../common/index/index-reader.js';
import { carveFlow, type CarveFlowResult } from '../../node/carve/carve-flow.js';
import { carveFlowsInOnePass } from '../../node/carve/carve-pass.js';
import { FileStore } from '../../node/carve/file-store.js';
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
  try {
    await link(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    await copyFile(tmp, target, constants.COPYFILE_EXCL);
  }
  await unlink(tmp);
}

/** A carved file's copy in OUTDIR until it has its final name. */
interface Placed {
  /** Where it is (or will be once `done`): a temporary name, a speculative name, its final name. */
  at: string;
  /** The file system calls under way for it. */
  done: Promise<void>;
  /** The speculative name it holds (lower-cased), if any. */
  spec: string | null;
  /** Named in flow order (its line may be printed). */
  final: boolean;
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
    // TCP (HTTP, mail, FTP data) and UDP (TFTP transfers)
    const flows = (await s.findFlows(q, limit)).filter((f) => f.record.proto === 6 || f.record.proto === 17);
    // names already in OUTDIR count as taken (case-insensitively: case-folding file systems)
    const taken = new Set((await readdir(root)).map((n) => n.toLowerCase()));
    let count = 0;
    const ftpControls = await ftpControlFlows(s);
    const tftpRequests = await tftpRequestFlows(s);
    // results arrive in any order; files are named and printed in flow order (names are
    // deduplicated in that order). Each file is copied into OUTDIR as soon as its flow is carved,
    // under a temporary name, and named at once when its name is still free (a speculative name:
    // the first flow in order is usually the last carved, and naming 500 files after it was a
    // tail of ~0.05 s); when its turn in flow order comes, a file whose speculative name is its
    // final name is done, and otherwise it is moved (link + unlink, never replacing a name) —
    // away from a name an earlier file's final name needs, or to its own final name.
    const ready = new Array<CarveFlowResult | undefined>(flows.length);
    const placed = new Array<Placed[] | undefined>(flows.length);
    const temps = new Set<string>();
    /** Speculative names (lower-cased) and the file holding each. */
    const held = new Map<string, Placed>();
    const everyFile: Placed[] = [];
    let tmpSeq = 0;
    const tempPath = (): string => {
      const name = `.tapline-carve-${process.pid}-${tmpSeq++}.part`;
      taken.add(name.toLowerCase());
      const tmp = join(root, name);
      temps.add(tmp);
      return tmp;
    };
    /** Moves a file between two of our names (never replacing one); a temporary source is forgotten once gone. */
    const move = (from: string, to: string): Promise<void> =>
      placeExclusive(from, to).then(() => {
        temps.delete(from);
      });
    const stage = (rec: CarvedFileRecord): Placed => {
      const tmp = tempPath();
      // COPYFILE_EXCL: whatever is already in OUTDIR is never overwritten; FICLONE: a reflink
      // where the file system can (an independent copy either way, never a shared inode)
      const copied = copyFile(files.contentPath(rec.sha256), tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const f: Placed = { at: tmp, done: copied, spec: null, final: false };
      everyFile.push(f);
      const wish = outputName(rec);
      const key = wish.toLowerCase();
      if (!taken.has(key) && !held.has(key)) {
        const target = join(root, wish);
        if (target.startsWith(root + sep)) {
          held.set(key, f);
          f.spec = key;
          f.at = target;
          // a speculative name that cannot be taken (made by someone else meanwhile) is left to
          // the naming in flow order, which fails on it as it always did
          f.done = copied.then(() =>
            move(tmp, target).catch(() => {
              if (f.at === target) f.at = tmp;
              if (held.get(key) === f) held.delete(key);
              if (f.spec === key) f.spec = null;
            }),
          );
        }
      }
      f.done.catch(() => undefined);
      return f;
    };
    let nextOut = 0;
    let output: Promise<void> = Promise.resolve();
    const naming: Promise<void>[] = [];
    const emit = (): void => {
      for (; nextOut < flows.length && ready[nextOut]; nextOut++) {
        const r = ready[nextOut] as CarveFlowResult;
        const mine = placed[nextOut] as Placed[];
        ready[nextOut] = undefined;
        placed[nextOut] = undefined;
        r.files.forEach((rec, k) => {
          const f = mine[k];
          const name = dedupe(outputName(rec), taken);
          const key = name.toLowerCase();
          taken.add(key);
          const target = join(root, name);
          if (!target.startsWith(root + sep)) throw new Error(`refusing to write outside ${root}: ${name}`);
          // the name is held speculatively by another file: that file leaves it first (to a
          // temporary name when it is still to be named, else to its own final name)
          const other = held.get(key);
          let free: Promise<void> = Promise.resolve();
          if (other !== undefined && other !== f) {
            held.delete(key);
            if (other.spec === key) {
              other.spec = null;
              const tmp = tempPath();
              // (where it is once its calls are done: its speculative name, unless taking it failed)
              other.done = other.done.then(() => (other.at === target ? move(target, tmp).then(() => void (other.at = tmp)) : undefined));
              other.done.catch(() => undefined);
            }
            free = other.done;
          }
          if (f.spec !== null && f.spec !== key) {
            // leaves its speculative name for its final one (a later file may wait for that)
            f.spec = null;
          } else if (f.spec === key) {
            held.delete(key);
            f.spec = null;
          }
          const named = Promise.all([f.done, free]).then(async () => {
            if (f.at !== target) {
              await placeExclusive(f.at, target);
              temps.delete(f.at);
              f.at = target;
            }
            f.final = true;
          });
          f.done = named;
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
      placed[i] = r.files.map(stage);
      emit();
    };
    const onePass = carvesInOnePass(flows);
    const passIdx = flows.flatMap((_, i) => (onePass[i] ? [i] : []));
    const perFlowIdx = flows.flatMap((_, i) => (onePass[i] ? [] : [i]));
    await Promise.all([
      passIdx.length > 0
        ? carveFlowsInOnePass(s, passIdx.map((i) => flows[i]), { ftpControls, tftpRequests, onResult: (j, r) => deliver(passIdx[j], r) })
        : Promise.resolve(),
      // a few flows of a big capture: read by offset, a few at a time (their waits on file I/O overlap)
      eachLimited(perFlowIdx, CARVE_CONCURRENCY, async (i) => deliver(i, await carveFlow(s, flows[i], { ftpControls, tftpRequests }))),
    ]);
    try {
      await output;
    } finally {
      // copies left unnamed by a failure (once the namings under way have ended), and
      // speculative names never confirmed in flow order
      await Promise.allSettled([...naming, ...everyFile.map((f) => f.done)]);
      const unconfirmed = everyFile.flatMap((f) => (f.final ? [] : [f.at]));
      await Promise.all([...temps, ...unconfirmed].map((t) => rm(t, { force: true }).catch(() => undefined)));
    }
    err(`carved ${count} file${count === 1 ? '' : 's'} from ${flows.length} TCP/UDP flow${flows.length === 1 ? '' : 's'} into ${root}`);
    return 0;
  } finally {
    await s.close();
  }
}
