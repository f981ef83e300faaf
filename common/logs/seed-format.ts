/**
 * The seed's syslog export format, parsed and written:
 *   <date> <sensor>.<domain> {<evtype>,<rank>} <msg> {<proto>} <src>:<spt> <dir> <dst>:<dpt>
 * e.g. "Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {IP} <-".
 * The seed's own example has a ":" after the sensor name and no addresses after the direction;
 * both forms are read. Addresses are "ip:port" or "[v6]:port" (IPv6 is bracketed when written).
 */
import { isIp, isIpv6, splitHostPort } from './ip-text.js';
import { emptyEndpoints, protoNumber, type LogTime, type NamedEndpoints } from './parsed-log.js';
import { formatBsdTime, matchBsdTime, matchIsoTime } from './syslog-time.js';

export type SeedDirection = '->' | '<-' | '<->' | '--';

export interface SeedMessage {
  time: LogTime | null;
  /** "<sensor>.<domain>" as written. */
  sensor: string;
  evtype: number;
  rank: number;
  message: string;
  /** Protocol as written between braces ("TCP", "UDP", "IP", "ICMP", ...), null when absent. */
  proto: string | null;
  dir: SeedDirection | null;
  endpoints: NamedEndpoints;
  /** "[gid:sid:rev]" at the start of the message, when present. */
  signature: { gid: number; sid: number; rev: number } | null;
}

const HEAD = /^(\S+?):? \{(\d{1,3}),(-?\d{1,3})\} /;
const TAIL = / \{([A-Za-z0-9-]{1,16})\}((?: \S+){0,3})$/;
const DIRS: readonly string[] = ['->', '<-', '<->', '--'];

/** The part after the date: "<sensor>.<domain>[:] {e,r} msg {proto} ...". */
export function parseSeedBody(body: string, time: LogTime | null): SeedMessage | null {
  const h = HEAD.exec(body);
  if (!h) return null;
  let msg = body.slice(h[0].length).replace(/[\r\n\0]+$/, '');
  let proto: string | null = null;
  let dir: SeedDirection | null = null;
  const endpoints = emptyEndpoints();
  const t = TAIL.exec(msg);
  if (t) {
    const tokens = t[2].trim() === '' ? [] : t[2].trim().split(' ');
    const di = tokens.findIndex((x) => DIRS.includes(x));
    // the tail must be "[src] dir [dst]": otherwise braces were part of the message text
    const ok = tokens.length === 0 || (di >= 0 && di <= 1 && tokens.length - di - 1 <= 1);
    if (ok) {
      proto = t[1];
      msg = msg.slice(0, t.index);
      if (di >= 0) dir = tokens[di] as SeedDirection;
      const src = di === 1 ? splitHostPort(tokens[0]) : null;
      const dst = di >= 0 && tokens.length > di + 1 ? splitHostPort(tokens[di + 1]) : null;
      if (src) {
        endpoints.srcIp = src.ip;
        endpoints.srcPort = src.port;
      }
      if (dst) {
        endpoints.dstIp = dst.ip;
        endpoints.dstPort = dst.port;
      }
      const p = protoNumber(proto);
      endpoints.proto = p;
    }
  }
  const sig = /^\[(\d{1,10}):(\d{1,10}):(\d{1,10})\] /.exec(msg);
  return {
    time,
    sensor: h[1],
    evtype: Number(h[2]),
    rank: Number(h[3]),
    message: msg,
    proto,
    dir,
    endpoints,
    signature: sig ? { gid: Number(sig[1]), sid: Number(sig[2]), rev: Number(sig[3]) } : null,
  };
}

/** A whole seed-format line (no PRI), or null. */
export function parseSeedLine(line: string, refSec: number): SeedMessage | null {
  const tm = matchBsdTime(line, refSec) ?? matchIsoTime(line);
  if (!tm || line[tm.length] !== ' ') return null;
  return parseSeedBody(line.slice(tm.length + 1), tm.time);
}

function endpointText(ip: string | null, port: number | null): string {
  if (ip === null) return '';
  const host = isIpv6(ip) ? `[${ip}]` : ip;
  return port === null ? host : `${host}:${port}`;
}

export interface SeedOutput {
  timeSec: number;
  sensor: string;
  domain: string;
  evtype: number;
  rank: number;
  message: string;
  proto: string;
  src: string | null;
  spt: number | null;
  dir: SeedDirection;
  dst: string | null;
  dpt: number | null;
}

/**
 * One seed-format line (without the syslog PRI). The message's line breaks become spaces (one
 * event, one line); the colon after the sensor follows the seed's example.
 */
export function formatSeedLine(o: SeedOutput): string {
  const msg = o.message.replace(/[\r\n]+/g, ' ');
  const src = endpointText(o.src !== null && isIp(o.src) ? o.src : null, o.spt);
  const dst = endpointText(o.dst !== null && isIp(o.dst) ? o.dst : null, o.dpt);
  const tail = [src, o.dir, dst].filter((x) => x !== '').join(' ');
  return `${formatBsdTime(o.timeSec)} ${o.sensor}.${o.domain}: {${o.evtype},${o.rank}} ${msg} {${o.proto}} ${tail}`;
}
