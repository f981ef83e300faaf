/**
 * flowint (per-flow integer variables) and the file keywords that are not buffers (filemd5,
 * filesha1, filesha256 with their list files; filesize): parsing and evaluation, following
 * Suricata's documentation. Environment-free.
 */
import type { FileCheck, FlowintOp } from './rule-types.js';

type Fail = (reason: string) => Error;

const NAME = /^[A-Za-z0-9_.\-]{1,64}$/;
const FLOWINT_OPS = new Set(['=', '+', '-', '==', '!=', '<', '>', '<=', '>=']);

/** `flowint: name, op[, value]` — op: = + - (modify), == != < > <= >= (compare), isset, notset/isnotset. */
export function parseFlowint(v: string | null, fail: Fail): FlowintOp {
  const a = (v ?? '').split(',').map((s) => s.trim());
  const name = a[0] ?? '';
  if (!NAME.test(name)) throw fail(`flowint name "${name}" is invalid`);
  const op = (a[1] ?? '').toLowerCase();
  if (op === 'isset' || op === 'notset' || op === 'isnotset') {
    if (a.length !== 2) throw fail(`flowint ${op} takes no value`);
    return { name, op: op === 'isset' ? 'isset' : 'notset', value: null };
  }
  if (!FLOWINT_OPS.has(op) || a.length !== 3) throw fail(`flowint "${v ?? ''}" needs name, operator (= + - == != < > <= >= isset notset) and value`);
  const raw = a[2];
  let value: number | string;
  if (/^\d{1,10}$/.test(raw) && Number(raw) <= 0xffffffff) value = Number(raw);
  else if (NAME.test(raw) && !/^\d/.test(raw)) value = raw;
  else throw fail(`flowint value "${raw}" is not a number (0..4294967295) or a flowint name`);
  return { name, op: op as FlowintOp['op'], value };
}

/**
 * Runs a rule's flowint operations in order on a copy of the flow's variables: false (nothing
 * changed) when a comparison fails, else the modified copy's changes are committed. Unset
 * variables count as 0 for + and - (Suricata creates them); comparisons on unset variables, or
 * against an unset variable, do not match. Values wrap as uint32 as Suricata's do.
 */
export function applyFlowint(ops: readonly FlowintOp[], vars: Map<string, number>, commit: boolean): boolean {
  if (!ops.length) return true;
  const scratch = new Map<string, number>();
  const get = (n: string): number | undefined => (scratch.has(n) ? scratch.get(n) : vars.get(n));
  for (const o of ops) {
    const cur = get(o.name);
    if (o.op === 'isset') {
      if (cur === undefined) return false;
      continue;
    }
    if (o.op === 'notset') {
      if (cur !== undefined) return false;
      continue;
    }
    const val = typeof o.value === 'string' ? get(o.value) : (o.value ?? 0);
    if (val === undefined) return false;
    switch (o.op) {
      case '=':
        scratch.set(o.name, val >>> 0);
        break;
      case '+':
        scratch.set(o.name, ((cur ?? 0) + val) >>> 0);
        break;
      case '-':
        scratch.set(o.name, ((cur ?? 0) - val) >>> 0);
        break;
      default: {
        if (cur === undefined) return false;
        const ok = o.op === '==' ? cur === val : o.op === '!=' ? cur !== val : o.op === '<' ? cur < val : o.op === '>' ? cur > val : o.op === '<=' ? cur <= val : cur >= val;
        if (!ok) return false;
      }
    }
  }
  if (commit) for (const [k, x] of scratch) vars.set(k, x);
  return true;
}

const HASH_LEN = { filemd5: 32, filesha1: 40, filesha256: 64 } as const;

/** `filemd5:[!]listfile;` — the list holds one hex hash per line (more text after it is ignored). */
export function parseFileHashes(kind: 'filemd5' | 'filesha1' | 'filesha256', v: string | null, readList: ((name: string) => string | null) | undefined, fail: Fail): FileCheck {
  let name = (v ?? '').trim();
  const negated = name.startsWith('!');
  if (negated) name = name.slice(1).trim();
  name = name.replace(/^"(.*)"$/, '$1');
  if (!name) throw fail(`${kind} needs a list file`);
  const text = readList ? readList(name) : null;
  if (text === null) throw fail(`${kind} list "${name}" cannot be read`);
  const n = HASH_LEN[kind];
  const re = new RegExp(`^[0-9a-fA-F]{${n}}(?![0-9a-fA-F])`);
  const hashes = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = re.exec(t);
    if (!m) throw fail(`${kind} list "${name}": "${t.slice(0, 40)}" is not a ${n}-digit hash`);
    hashes.add(m[0].toLowerCase());
  }
  if (!hashes.size) throw fail(`${kind} list "${name}" is empty`);
  return { kind, negated, hashes, list: name };
}

/** `filesize:N`, `<N`, `>N`, `<=N`, `>=N`, `!=N`, `A<>B` (exclusive), `A-B` (exclusive). */
export function parseFilesize(v: string | null, fail: Fail): FileCheck {
  const t = (v ?? '').replace(/\s+/g, '');
  let m = /^(\d{1,15})(?:<>|-)(\d{1,15})$/.exec(t);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a >= b) throw fail(`filesize range "${t}" is empty`);
    return { kind: 'filesize', op: '<>', a, b };
  }
  m = /^(<=|>=|!=|<|>|=)?(\d{1,15})$/.exec(t);
  if (m) return { kind: 'filesize', op: (m[1] || '=') as Extract<FileCheck, { kind: 'filesize' }>['op'], a: Number(m[2]), b: 0 };
  throw fail(`filesize "${v ?? ''}" is not N, <N, >N, <=N, >=N, !=N or A<>B`);
}

/** What the file checks see of one file. */
export interface FileFacts {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
}

export function fileChecksHold(checks: readonly FileCheck[], f: FileFacts): boolean {
  for (const c of checks) {
    if (c.kind === 'filesize') {
      const n = f.size;
      const ok = c.op === '<' ? n < c.a : c.op === '>' ? n > c.a : c.op === '<=' ? n <= c.a : c.op === '>=' ? n >= c.a : c.op === '!=' ? n !== c.a : c.op === '<>' ? n > c.a && n < c.b : n === c.a;
      if (!ok) return false;
    } else if (c.kind === 'filemd5' || c.kind === 'filesha1' || c.kind === 'filesha256') {
      const h = c.kind === 'filemd5' ? f.md5 : c.kind === 'filesha1' ? f.sha1 : f.sha256;
      if (c.hashes.has(h) === c.negated) return false;
    }
  }
  return true;
}
