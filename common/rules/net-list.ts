/**
 * Rule header address and port lists: `any`, $VARS, single values, CIDR blocks, port ranges
 * (a:b, :b, a:), groups in brackets (nested) and negation with `!`. A group matches when any of
 * its positive members matches (or it has none) and none of its negated members does, which is
 * Snort's and Suricata's reading of `[10.0.0.0/8,!10.1.1.1]`. Environment-free.
 */
import { parseAddressRange, rangeContains, type AddressRange } from '../net/address-range.js';

type Expr<T> = { k: 'any' } | { k: 'one'; v: T } | { k: 'not'; e: Expr<T> } | { k: 'list'; items: Expr<T>[] };

export interface NetMatcher {
  readonly text: string;
  /** key: a 16-byte address (IPv4 as ::ffff:a.b.c.d). */
  matches(key: Uint8Array): boolean;
  readonly isAny: boolean;
}
export interface PortMatcher {
  readonly text: string;
  matches(port: number): boolean;
  readonly isAny: boolean;
}

export type RuleVars = ReadonlyMap<string, string>;

/** Suricata's defaults for the variables ET Open rules use; --var overrides them. */
export const DEFAULT_VARS: ReadonlyMap<string, string> = new Map([
  ['HOME_NET', '[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,fe80::/10]'],
  ['EXTERNAL_NET', 'any'],
  ['HTTP_SERVERS', '$HOME_NET'],
  ['SMTP_SERVERS', '$HOME_NET'],
  ['SQL_SERVERS', '$HOME_NET'],
  ['DNS_SERVERS', '$HOME_NET'],
  ['TELNET_SERVERS', '$HOME_NET'],
  ['AIM_SERVERS', '$EXTERNAL_NET'],
  ['DC_SERVERS', '$HOME_NET'],
  ['DNP3_SERVER', '$HOME_NET'],
  ['DNP3_CLIENT', '$HOME_NET'],
  ['MODBUS_CLIENT', '$HOME_NET'],
  ['MODBUS_SERVER', '$HOME_NET'],
  ['ENIP_CLIENT', '$HOME_NET'],
  ['ENIP_SERVER', '$HOME_NET'],
  ['HTTP_PORTS', '[80,81,311,383,591,593,901,1220,1414,1741,1830,2301,2381,2809,3037,3128,3702,4343,4848,5250,6988,7000,7001,7144,7145,7510,7777,7779,8000,8008,8014,8028,8080,8085,8088,8090,8118,8123,8180,8181,8243,8280,8300,8800,8888,8899,9000,9060,9080,9090,9091,9443,9999,11371,34443,34444,41080,50002,55555]'],
  ['SHELLCODE_PORTS', '!80'],
  ['ORACLE_PORTS', '1521'],
  ['SSH_PORTS', '22'],
  ['DNP3_PORTS', '20000'],
  ['MODBUS_PORTS', '502'],
  ['FILE_DATA_PORTS', '[$HTTP_PORTS,110,143]'],
  ['FTP_PORTS', '21'],
  ['GENEVE_PORTS', '6081'],
  ['VXLAN_PORTS', '4789'],
  ['TEREDO_PORTS', '3544'],
]);

const MAX_DEPTH = 16;
const MAX_ITEMS = 4096;

class ListSyntaxError extends Error {}

/** Splits `[a,[b,c],!d]` at top-level commas; throws on unbalanced brackets. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth < 0) throw new ListSyntaxError(`unbalanced "]" in ${s}`);
    } else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new ListSyntaxError(`unbalanced "[" in ${s}`);
  out.push(s.slice(start));
  return out;
}

function parseExpr<T>(text: string, vars: RuleVars, one: (t: string) => T, depth: number, budget: { n: number }, seen: string[]): Expr<T> {
  if (depth > MAX_DEPTH) throw new ListSyntaxError('lists nested too deeply');
  if (--budget.n < 0) throw new ListSyntaxError('list too long');
  const t = text.trim();
  if (!t) throw new ListSyntaxError('empty list member');
  if (t === 'any') return { k: 'any' };
  if (t.startsWith('!')) return { k: 'not', e: parseExpr(t.slice(1), vars, one, depth + 1, budget, seen) };
  if (t.startsWith('$')) {
    const name = t.slice(1);
    if (seen.includes(name)) throw new ListSyntaxError(`variable $${name} refers to itself`);
    const v = vars.get(name);
    if (v === undefined) throw new ListSyntaxError(`undefined variable $${name}`);
    return parseExpr(v, vars, one, depth + 1, budget, [...seen, name]);
  }
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new ListSyntaxError(`unterminated list ${t}`);
    const items = splitTop(t.slice(1, -1)).map((p) => parseExpr(p, vars, one, depth + 1, budget, seen));
    return { k: 'list', items };
  }
  return { k: 'one', v: one(t) };
}

function evalExpr<T, X>(e: Expr<T>, x: X, test: (v: T, x: X) => boolean): boolean {
  switch (e.k) {
    case 'any':
      return true;
    case 'one':
      return test(e.v, x);
    case 'not':
      return !evalExpr(e.e, x, test);
    case 'list': {
      let anyPositive = false;
      let positiveHit = false;
      for (const it of e.items) {
        if (it.k === 'not') {
          if (evalExpr(it.e, x, test)) return false;
        } else {
          anyPositive = true;
          if (!positiveHit && evalExpr(it, x, test)) positiveHit = true;
        }
      }
      return !anyPositive || positiveHit;
    }
  }
}

function isAnyExpr<T>(e: Expr<T>): boolean {
  return e.k === 'any' || (e.k === 'list' && e.items.length > 0 && e.items.every((i) => i.k !== 'not') && e.items.some(isAnyExpr));
}

/** Parses an address list; throws an Error with the reason on bad syntax or unknown variables. */
export function parseNetList(text: string, vars: RuleVars): NetMatcher {
  const e = parseExpr<AddressRange>(text, vars, (t) => {
    const r = parseAddressRange(t);
    if (!r) throw new ListSyntaxError(`not an address or CIDR block: ${t}`);
    return r;
  }, 0, { n: MAX_ITEMS }, []);
  const isAny = isAnyExpr(e);
  return { text, isAny, matches: isAny ? () => true : (key) => evalExpr(e, key, rangeContains) };
}

interface PortRange {
  lo: number;
  hi: number;
}

function parsePortOne(t: string): PortRange {
  const m = /^(\d{0,5})(?::(\d{0,5}))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) throw new ListSyntaxError(`not a port or port range: ${t}`);
  const lo = m[1] === '' ? 0 : Number(m[1]);
  const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
  if (lo > 65535 || hi > 65535 || lo > hi) throw new ListSyntaxError(`port out of range: ${t}`);
  return { lo, hi };
}

export function parsePortList(text: string, vars: RuleVars): PortMatcher {
  const e = parseExpr<PortRange>(text, vars, parsePortOne, 0, { n: MAX_ITEMS }, []);
  const isAny = isAnyExpr(e);
  return { text, isAny, matches: isAny ? () => true : (p) => evalExpr(e, p, (r, x) => x >= r.lo && x <= r.hi) };
}

/** The 16-byte key of an address given as its 4 or 16 bytes. */
export function addressKey(ipVersion: number, bytes: Uint8Array, out = new Uint8Array(16)): Uint8Array {
  if (ipVersion === 6) {
    out.set(bytes.subarray(0, 16));
    return out;
  }
  out.fill(0, 0, 10);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(bytes.subarray(0, 4), 12);
  return out;
}
