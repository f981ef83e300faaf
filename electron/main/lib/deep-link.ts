/**
 * The tapline:// deep link a SIEM puts in an alert so a click opens the desktop app on a flow:
 *   tapline://flow?sip=10.1.0.5&spt=40000&dip=10.2.0.9&dpt=80&stime=1700000000&etime=1700000060
 * (CapMe's parameter names; optional proto and sensor), or tapline://flow?id=<flow id>.
 * The link arrives from anywhere (a web page, a mail, another program), so it is parsed strictly:
 * only known parameters, each once, each validated; anything else is refused with a message.
 * Environment-free: used by the main process and bundled into the preload (pcapUrl).
 */
import type { SliceTarget } from '../../../common/bridge/messages.js';
import { SliceTargetSchema } from '../../../common/bridge/messages.js';
import { parseProto } from '../../../common/bridge/query-parse.js';
import { parseIp } from '../../../common/packet/ip-address.js';
import { compareTs, formatTs, parseTimestamp, type Timestamp } from '../../../common/time/timestamp.js';
import { DEEP_LINK_SCHEME } from './app-identity.js';

export const MAX_DEEP_LINK_LENGTH = 2048;
const PARAMS = new Set(['sip', 'spt', 'dip', 'dpt', 'stime', 'etime', 'proto', 'sensor', 'id']);
const SENSOR = /^[0-9A-Za-z._-]{1,64}$/;
/** Flow ids as the store prints them (<12 hex digits>-<number>), a little wider for remote sensors. */
const FLOW_ID = /^[0-9A-Za-z._:-]{1,64}$/;

export type DeepLinkResult = { ok: true; target: SliceTarget } | { ok: false; error: string };

function fail(error: string): DeepLinkResult {
  return { ok: false, error: `tapline link refused: ${error}` };
}

/** Quotes refused input for a message (shown in the UI and logs): a safe character set only, bounded. */
function show(v: string): string {
  const clean = v.replace(/[^\w .:/+@,-]/g, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}

function port(v: string, name: string): number | string {
  if (!/^\d{1,5}$/.test(v)) return `${name} ${show(v)} is not a port number`;
  const n = Number(v);
  return n <= 65535 ? n : `${name} ${v} is above 65535`;
}

function time(v: string, name: string): Timestamp | string {
  // a literal "+01:00" zone in an unencoded link arrives as " 01:00" (form decoding): restore it
  const t = parseTimestamp(v.length <= 64 ? v.replace(/ (\d{2}:?\d{2})$/, '+$1') : '');
  return t ?? `${name} ${show(v)} is not a time (decimal epoch seconds or ISO 8601)`;
}

/** Parses and validates one tapline:// link into a slice target the renderer can open. */
export function parseDeepLink(link: string): DeepLinkResult {
  if (typeof link !== 'string') return fail('not a string');
  if (link.length > MAX_DEEP_LINK_LENGTH) return fail(`longer than ${MAX_DEEP_LINK_LENGTH} characters`);
  if (/[\0-\x1f\x7f]/.test(link)) return fail('control characters');
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    return fail('not a URL');
  }
  if (u.protocol !== `${DEEP_LINK_SCHEME}:`) return fail(`scheme must be ${DEEP_LINK_SCHEME}:`);
  if (u.username || u.password || u.port) return fail('credentials or a port are not allowed');
  if (u.host.toLowerCase() !== 'flow') return fail(`unknown action ${show(u.host)} (expected tapline://flow?…)`);
  if (u.pathname !== '' && u.pathname !== '/') return fail('unexpected path after tapline://flow');
  if (u.hash !== '') return fail('unexpected #fragment');
  const v = new Map<string, string>();
  for (const [k, val] of u.searchParams) {
    if (!PARAMS.has(k)) return fail(`unknown parameter ${show(k)}`);
    if (v.has(k)) return fail(`parameter ${k} given twice`);
    if (val.length > 64) return fail(`parameter ${k} is longer than 64 characters`);
    v.set(k, val);
  }
  const sensor = v.get('sensor');
  if (sensor !== undefined && !SENSOR.test(sensor)) return fail(`sensor ${show(sensor)} is not a sensor name`);

  const id = v.get('id');
  if (id !== undefined) {
    for (const k of ['sip', 'dip', 'spt', 'dpt', 'stime', 'etime', 'proto']) if (v.has(k)) return fail(`id cannot be combined with ${k}`);
    if (!FLOW_ID.test(id)) return fail(`id ${show(id)} is not a flow id`);
    return finish({ flow: id, ...(sensor !== undefined ? { sensor } : {}) });
  }

  const sip = v.get('sip');
  const dip = v.get('dip');
  if (sip === undefined || dip === undefined) return fail('sip and dip are required (or id)');
  for (const [name, ip] of [['sip', sip], ['dip', dip]] as const) if (!parseIp(ip)) return fail(`${name} ${show(ip)} is not an IP address`);
  const target: Extract<SliceTarget, { sip: string }> = { sip, dip };
  for (const name of ['spt', 'dpt'] as const) {
    const raw = v.get(name);
    if (raw === undefined) continue;
    const p = port(raw, name);
    if (typeof p === 'string') return fail(p);
    target[name] = p;
  }
  const proto = v.get('proto');
  if (proto !== undefined) {
    try {
      target.proto = parseProto(proto);
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  let start: Timestamp | undefined;
  let end: Timestamp | undefined;
  for (const name of ['stime', 'etime'] as const) {
    const raw = v.get(name);
    if (raw === undefined) continue;
    const t = time(raw, name);
    if (typeof t === 'string') return fail(t);
    target[name] = formatTs(t.sec, t.nsec);
    if (name === 'stime') start = t;
    else end = t;
  }
  if (start && end && compareTs(start.sec, start.nsec, end.sec, end.nsec) > 0) return fail('stime is after etime');
  if (sensor !== undefined) target.sensor = sensor;
  return finish(target);
}

/** The shared schema has the last word (limits stay in one place). */
function finish(target: SliceTarget): DeepLinkResult {
  const r = SliceTargetSchema.safeParse(target);
  return r.success ? { ok: true, target: r.data } : fail('does not describe a slice');
}

/**
 * The deep link among command-line arguments (first launch on Linux and Windows, and the argv of
 * a second instance). Only a whole argument that starts with tapline: counts.
 */
export function findDeepLink(argv: readonly string[]): string | null {
  for (const a of argv) if (typeof a === 'string' && a.slice(0, DEEP_LINK_SCHEME.length + 1).toLowerCase() === `${DEEP_LINK_SCHEME}:`) return a;
  return null;
}

function query(pairs: [string, string | number | undefined][]): string {
  const q = new URLSearchParams();
  for (const [k, val] of pairs) if (val !== undefined) q.set(k, String(val));
  return q.toString();
}

/** The tapline:// link for a slice target (the inverse of parseDeepLink for valid targets). */
export function deepLinkFor(target: SliceTarget): string {
  if ('flow' in target) return `${DEEP_LINK_SCHEME}://flow?${query([['id', target.flow], ['sensor', target.sensor]])}`;
  return `${DEEP_LINK_SCHEME}://flow?${query([
    ['sip', target.sip],
    ['spt', target.spt],
    ['dip', target.dip],
    ['dpt', target.dpt],
    ['proto', target.proto],
    ['stime', target.stime],
    ['etime', target.etime],
    ['sensor', target.sensor],
  ])}`;
}

/**
 * Bridge.pcapUrl for the desktop: the CapMe URL of the local API when one is running (apiBase),
 * else the tapline:// link, which reopens the same slice in the app from any other program.
 */
export function pcapUrlFor(target: SliceTarget, apiBase: string | null): string {
  if (apiBase === null) return deepLinkFor(target);
  const base = apiBase.replace(/\/+$/, '');
  if ('flow' in target) {
    const s = target.sensor !== undefined ? `?${query([['sensor', target.sensor]])}` : '';
    return `${base}/api/flows/${encodeURIComponent(target.flow)}/pcap${s}`;
  }
  return `${base}/pcap?${query([
    ['sip', target.sip],
    ['spt', target.spt],
    ['dip', target.dip],
    ['dpt', target.dpt],
    ['proto', target.proto],
    ['stime', target.stime],
    ['etime', target.etime],
    ['sensor', target.sensor],
  ])}`;
}
