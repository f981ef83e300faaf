/**
 * Text renderings of a followed stream, modeled on `tshark -q -z follow,<proto>,<mode>`:
 *  - raw: one line of lowercase hex per chunk, server → client lines indented with a tab — the
 *    exact tshark format (ui/cli/tap-follow.c), including its gap marker;
 *  - ascii: per chunk its length line, then the bytes with non-printables as '.' (CR and LF kept);
 *  - hex: 16-byte hexdump lines; unlike tshark, offsets are stream offsets (tshark counts bytes
 *    printed, gap markers included) and a gap is a text line, not a hexdumped marker.
 * Node 0 is the flow's client, Node 1 its server (tshark: the sender of the first packet, which
 * is the client unless the capture starts mid-connection with a server packet).
 * Output is bytes (ASCII), built in one growing buffer: payload can be large.
 */
import type { Direction } from './stream-types.js';

export type FollowFormat = 'ascii' | 'hex' | 'raw';

export const FOLLOW_FORMATS: readonly FollowFormat[] = ['ascii', 'hex', 'raw'];

const SEPARATOR = '='.repeat(67);
const HEX = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));
const TAB = 9;
const NL = 10;
const DOT = 46;
const SPACE = 32;
const HEX_UPPER = new Uint8Array([...'0123456789ABCDEF'].map((c) => c.charCodeAt(0)));

/** What tshark writes in place of bytes the capture lacks (it appends a NUL, so length + 1). */
export function gapMarkerText(missing: number): string {
  return `[${missing} bytes missing in capture file]`;
}

export interface FollowHeader {
  protocol: 'tcp' | 'udp';
  format: FollowFormat;
  /** The "Filter:" line's text (tshark: a display filter; Tapline: the flow id). */
  filter: string;
  node0: string;
  node1: string;
}

/** "ip:port", or "[ipv6]:port" as tshark writes it. */
export function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Accumulates ASCII output bytes. */
export class FollowWriter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  constructor(readonly format: FollowFormat) {}

  get length(): number {
    return this.len;
  }

  /** Returns the bytes written so far and starts over. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  header(h: FollowHeader): void {
    this.text(`\n${SEPARATOR}\nFollow: ${h.protocol},${h.format}\nFilter: ${h.filter}\nNode 0: ${h.node0}\nNode 1: ${h.node1}\n`);
  }

  footer(): void {
    this.text(`${SEPARATOR}\n`);
  }

  /** One chunk of a direction, preceded by the gap marker when bytes before it are missing. */
  chunk(dir: Direction, offset: number, data: Uint8Array, gapBefore: number): void {
    if (gapBefore > 0) this.gap(dir, gapBefore);
    if (data.length === 0) return;
    switch (this.format) {
      case 'raw':
        if (dir) this.byte(TAB);
        this.hexLine(data);
        return;
      case 'ascii':
        this.text(`${dir ? '\t' : ''}${data.length}\n`);
        this.asciiLine(data);
        return;
      case 'hex':
        this.hexdump(dir ? '\t' : '', offset, data);
        return;
    }
  }

  private gap(dir: Direction, missing: number): void {
    const text = gapMarkerText(missing);
    if (this.format === 'hex') {
      this.text(`${dir ? '\t' : ''}${text}\n`);
      return;
    }
    const bytes = new Uint8Array(text.length + 1); // tshark writes the string's terminating NUL too
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    this.chunk(dir, 0, bytes, 0);
  }

  private hexLine(data: Uint8Array): void {
    this.ensure(data.length * 2 + 1);
    const b = this.buf;
    let j = this.len;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      b[j++] = HEX[v >> 4];
      b[j++] = HEX[v & 15];
    }
    b[j++] = NL;
    this.len = j;
  }

  private asciiLine(data: Uint8Array): void {
    this.ensure(data.length + 1);
    const b = this.buf;
    let j = this.len;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      b[j++] = (v >= 0x20 && v < 0x7f) || v === 13 || v === 10 ? v : DOT;
    }
    b[j++] = NL;
    this.len = j;
  }

  /**
   * tshark's follow_print_hex: "OFFSET  hh hh … hh  hh … hh  ascii", an extra space after 8 bytes,
   * the ASCII column at position 60; written straight into the byte buffer (flows can be large).
   */
  private hexdump(prefix: '' | '\t', offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i += 16) {
      const n = Math.min(16, data.length - i);
      this.ensure(1 + 16 + 2 + 50 + 17 + 1);
      const b = this.buf;
      let j = this.len;
      if (prefix) b[j++] = TAB;
      j = writeOffset(b, j, offset + i);
      b[j++] = SPACE;
      b[j++] = SPACE;
      const hexStart = j;
      b.fill(SPACE, j, j + 50);
      let a = hexStart + 50;
      for (let k = 0; k < n; k++) {
        const v = data[i + k];
        const h = hexStart + k * 3 + (k >= 8 ? 1 : 0);
        b[h] = HEX[v >> 4];
        b[h + 1] = HEX[v & 15];
        b[a++] = v >= 0x20 && v < 0x7f ? v : DOT;
        if (k === 7) b[a++] = SPACE;
      }
      // tshark drops one trailing space of the ASCII column (the separator or a real 0x20)
      if (b[a - 1] === SPACE) a--;
      b[a++] = NL;
      this.len = a;
    }
  }

  private byte(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  private text(s: string): void {
    this.ensure(s.length);
    const b = this.buf;
    let j = this.len;
    for (let i = 0; i < s.length; i++) b[j++] = s.charCodeAt(i) & 0xff;
    this.len = j;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** "%08X": uppercase hex, at least 8 digits (more past 4 GiB, where tshark's 32-bit counter wraps). */
function writeOffset(b: Uint8Array, j: number, x: number): number {
  let digits = 8;
  while (digits < 13 && x >= 16 ** digits) digits++;
  for (let k = digits - 1; k >= 0; k--) {
    b[j + k] = HEX_UPPER[x % 16];
    x = Math.floor(x / 16);
  }
  return j + digits;
}
