/**
 * The FTP control channel (RFC 959, RFC 2428) read from a flow's two streams: each file transfer
 * (RETR, STOR, STOU, APPE) with its path, direction and the data endpoint negotiated before it
 * (PORT/EPRT: the client listens; PASV/EPSV: the server listens; IPv4 and IPv6), the time of the
 * command and its final reply. Listings (LIST, NLST, MLSD) are recorded too so that their data
 * connections are not mistaken for files. Environment-free; bounded (MAX_TRANSFERS).
 */
import type { PacketMark } from '../carve-sink.js';
import { LineBuffer } from '../line-buffer.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { ipToString } from '../../packet/ip-address.js';
import { parseIp } from '../../packet/community-id.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

export const MAX_TRANSFERS = 10_000;

export type FtpTransferCommand = 'RETR' | 'STOR' | 'STOU' | 'APPE' | 'LIST' | 'NLST' | 'MLSD';

export interface FtpEndpoint {
  /** Canonical address text; null when the command gave none (EPSV: the control server's). */
  ip: string | null;
  port: number;
  /** Who accepts the data connection. */
  listener: 'client' | 'server';
  /** The PORT/PASV/EPRT/EPSV exchange completed at this packet. */
  at: PacketMark;
}

export interface FtpTransfer {
  command: FtpTransferCommand;
  /** The argument as sent (null when none, as for a bare LIST). */
  path: string | null;
  /** Working directory (from CWD/CDUP accepted with 250, or a PWD reply) when the command was sent. */
  cwd: string | null;
  direction: 'download' | 'upload';
  endpoint: FtpEndpoint | null;
  user: string | null;
  type: string | null;
  at: PacketMark;
  /** Final reply code (2xx: done; 4xx/5xx: failed); null when not seen. */
  reply: number | null;
  /** A 150/125 reply said the data connection opened. */
  opened: boolean;
  /** REST offset accepted (350) before the command: the data starts there, not at byte 0. */
  restart: number | null;
}

const TRANSFER: Record<string, 'download' | 'upload'> = {
  RETR: 'download',
  STOR: 'upload',
  STOU: 'upload',
  APPE: 'upload',
  LIST: 'download',
  NLST: 'download',
  MLSD: 'download',
};

const OPENING = new Set(['USER', 'AUTH', 'FEAT', 'SYST', 'OPTS', 'PASS', 'PWD', 'CWD', 'TYPE', 'PASV', 'EPSV', 'PORT', 'EPRT', 'RETR', 'STOR', 'LIST', 'NLST', 'QUIT', 'NOOP', 'SIZE', 'MDTM']);

export class FtpControlParser implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;
  readonly transfers: FtpTransfer[] = [];

  private readonly lines: [LineBuffer, LineBuffer] = [new LineBuffer(), new LineBuffer()];
  private endpoint: FtpEndpoint | null = null;
  private pendingPassive: 'PASV' | 'EPSV' | null = null;
  private pendingPort: { ip: string | null; port: number } | null = null;
  private pendingCwd: string | null = null;
  private cwd: string | null = null;
  private user: string | null = null;
  private type: string | null = null;
  private lastCommand = '';
  private pendingRest: number | null = null;
  private rest: number | null = null;
  private encrypted = false;

  onData(c: StreamChunk): void {
    if (this.gaveUp || this.encrypted) return;
    const lb = this.lines[c.dir];
    if (c.gapBefore > 0) lb.clear();
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    let i = 0;
    while (i < c.data.length && !this.gaveUp && !this.encrypted) {
      const got = lb.take(c.data, i);
      if (!got) return;
      i = got[1];
      if (c.dir === 0) this.command(got[0], mark);
      else this.reply(got[0], mark);
    }
  }

  onEnd(): void {
    // nothing is pending: transfers are recorded when their command is seen
  }

  private command(line: string, mark: PacketMark): void {
    const sp = line.indexOf(' ');
    const verb = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp === -1 ? '' : line.slice(sp + 1);
    if (!this.recognized) {
      if (!OPENING.has(verb)) {
        this.gaveUp = true;
        return;
      }
      this.recognized = true;
    }
    this.lastCommand = verb;
    switch (verb) {
      case 'USER':
        this.user = arg.slice(0, 256);
        break;
      case 'TYPE':
        this.type = arg.trim().toUpperCase().slice(0, 8);
        break;
      case 'CWD':
        this.pendingCwd = joinPath(this.cwd, arg);
        break;
      case 'CDUP':
        this.pendingCwd = joinPath(this.cwd, '..');
        break;
      case 'PORT': {
        const n = arg.split(',').map((x) => Number(x.trim()));
        if (n.length === 6 && n.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) {
          this.pendingPort = { ip: `${n[0]}.${n[1]}.${n[2]}.${n[3]}`, port: n[4] * 256 + n[5] };
        } else this.issue(0, `malformed PORT: ${line.slice(0, 80)}`);
        break;
      }
      case 'EPRT': {
        // EPRT |1|132.235.1.2|6275|  (any delimiter; 1 = IPv4, 2 = IPv6)
        const d = arg[0];
        const f = d ? arg.split(d) : [];
        const port = Number(f[3]);
        if (f.length >= 4 && Number.isInteger(port) && port > 0 && port < 65536) this.pendingPort = { ip: canonicalIp(f[2]), port };
        else this.issue(0, `malformed EPRT: ${line.slice(0, 80)}`);
        break;
      }
      case 'REST': {
        const n = Number(arg.trim());
        this.pendingRest = Number.isSafeInteger(n) && n >= 0 ? n : null;
        break;
      }
      case 'PASV':
      case 'EPSV':
        this.pendingPassive = verb;
        break;
      case 'AUTH':
      case 'CCC':
        break;
      default: {
        const direction = TRANSFER[verb];
        if (direction && this.transfers.length < MAX_TRANSFERS) {
          this.transfers.push({
            command: verb as FtpTransferCommand,
            path: arg === '' ? null : arg.slice(0, 4096),
            cwd: this.cwd,
            direction,
            endpoint: this.endpoint,
            user: this.user,
            type: this.type,
            at: mark,
            reply: null,
            opened: false,
            restart: this.rest,
          });
        }
        // a restart marker applies to the next transfer only
        this.rest = null;
      }
    }
  }

  private reply(line: string, mark: PacketMark): void {
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    // continuation lines of a multi-line reply carry no code
    if (!m) return;
    if (m[2] === '-') return;
    const code = Number(m[1]);
    const text = m[3];
    if (code === 227 && this.pendingPassive === 'PASV') {
      // "Entering Passive Mode (h1,h2,h3,h4,p1,p2)" — some servers omit the parentheses
      const n = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(text);
      if (n) {
        const b = n.slice(1).map(Number);
        this.endpoint = { ip: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, port: b[4] * 256 + b[5], listener: 'server', at: mark };
      } else this.issue(1, `227 without an address: ${line.slice(0, 80)}`);
      this.pendingPassive = null;
    } else if (code === 229 && this.pendingPassive === 'EPSV') {
      const n = /\((.)\1\1(\d{1,5})\1\)/.exec(text);
      if (n) this.endpoint = { ip: null, port: Number(n[2]), listener: 'server', at: mark };
      else this.issue(1, `229 without a port: ${line.slice(0, 80)}`);
      this.pendingPassive = null;
    } else if (code === 200 && this.pendingPort) {
      this.endpoint = { ...this.pendingPort, listener: 'client', at: mark };
      this.pendingPort = null;
    } else if (code === 350 && this.pendingRest !== null) {
      this.rest = this.pendingRest > 0 ? this.pendingRest : null;
      this.pendingRest = null;
    } else if (code === 250 && this.pendingCwd !== null) {
      this.cwd = this.pendingCwd;
      this.pendingCwd = null;
    } else if (code === 257) {
      const q = /"((?:[^"]|"")*)"/.exec(text);
      if (q) this.cwd = q[1].replace(/""/g, '"');
    } else if (code === 234) {
      // AUTH TLS accepted: the rest of the control channel is encrypted
      this.encrypted = true;
      this.issue(1, 'AUTH TLS: the control channel is encrypted from here on');
    }
    if (code >= 400) {
      if (this.pendingPort) this.pendingPort = null;
      if (this.pendingPassive) this.pendingPassive = null;
      this.pendingCwd = null;
    }
    const last = this.transfers[this.transfers.length - 1];
    if (last && last.reply === null && TRANSFER[this.lastCommand]) {
      if (code === 150 || code === 125) last.opened = true;
      else if (code >= 200 && code !== 227 && code !== 229) last.reply = code;
      if (last.command === 'STOU' && (code === 150 || code === 125 || code === 250 || code === 226)) {
        // STOU names the file it created: "150 FILE: name" (RFC 1123 4.1.2.9)
        const f = /FILE:\s*(\S+)/i.exec(text);
        if (f) last.path = f[1].slice(0, 4096);
      }
    }
  }

  private issue(dir: Direction, message: string): void {
    this.issueCount++;
    if (this.issues.length < 32) this.issues.push({ dir, offset: 0, message });
  }
}

function canonicalIp(text: string | undefined): string | null {
  if (!text) return null;
  const ip = parseIp(text.trim());
  return ip ? ipToString(ip.version, ip.bytes) : null;
}

/** A path argument resolved against the working directory (for the URL only: never used on disk). */
export function joinPath(cwd: string | null, arg: string): string {
  const a = arg.trim();
  if (a.startsWith('/') || cwd === null) return a;
  if (a === '..') {
    const cut = cwd.replace(/\/+$/, '').lastIndexOf('/');
    return cut <= 0 ? '/' : cwd.slice(0, cut);
  }
  return `${cwd.replace(/\/+$/, '')}/${a}`;
}
