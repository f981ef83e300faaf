/**
 * One flow's application layer, parsed once for both the rule engine and discovery: HTTP
 * transactions, the TLS handshake (both directions), DNS messages (UDP datagrams and TCP's
 * length-prefixed messages) and the first text line of each direction (SSH, SMTP, FTP, POP3,
 * IMAP banners and greetings). Fed with reassembled stream chunks (TCP) and datagrams (UDP).
 * Each parser gives up on its own when the bytes are not its protocol. Environment-free.
 */
import type { Direction, StreamChunk, StreamEndReason, StreamSink } from '../reassembly/stream-types.js';
import { parseDhcpMessage, type DhcpMessage } from './dhcp-message.js';
import { parseDnsMessage, type DnsMessage } from './dns-message.js';
import { HttpTransactions, type BodyDecoder, type HttpRequest, type HttpResponse, type PacketRef } from './http-transactions.js';
import { TlsStreamParser, type ClientHello, type ServerHello } from './tls-handshake.js';

export interface AppLayerHandlers {
  httpRequest?(r: HttpRequest): void;
  httpResponse?(r: HttpResponse): void;
  clientHello?(h: ClientHello, ref: PacketRef): void;
  serverHello?(h: ServerHello, ref: PacketRef): void;
  curve?(group: number): void;
  certificates?(der: Uint8Array[], ref: PacketRef): void;
  /** A DNS message; `raw` is the message bytes (without TCP's length prefix). */
  dns?(m: DnsMessage, raw: Uint8Array, dir: Direction, ref: PacketRef): void;
  /** A DHCPv4 message (UDP, port 67 or 68 on either side). */
  dhcp?(m: DhcpMessage, dir: Direction, ref: PacketRef): void;
  /** The first line (up to 512 bytes, printable) a direction sent. */
  firstLine?(dir: Direction, line: string, ref: PacketRef): void;
  /** Every reassembled TCP chunk (raw stream inspection). */
  streamData?(c: StreamChunk): void;
  /** The flow was recognised as ssh, ftp, smtp, pop3 or imap from its first lines. */
  appProto?(name: string): void;
}

const DNS_PORTS = new Set([53, 5353, 5355]);
const LINE_CAP = 512;

export class FlowAppLayer implements StreamSink {
  private readonly http: HttpTransactions | null;
  private readonly tls: [TlsStreamParser, TlsStreamParser] | null;
  private readonly dnsTcp: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly line: [string | null, string | null] = ['', ''];
  private ref: PacketRef = { tsSec: 0, tsNsec: 0, packet: 0 };
  private readonly dnsPort: boolean;
  private readonly dhcpPort: boolean;
  private recognised: string | null = null;
  private greeting220 = false;

  constructor(
    readonly proto: 'tcp' | 'udp',
    private readonly serverPort: number,
    clientPort: number,
    private readonly h: AppLayerHandlers,
    decodeBody: BodyDecoder | null = null,
  ) {
    this.dnsPort = DNS_PORTS.has(serverPort) || DNS_PORTS.has(clientPort);
    this.dhcpPort = proto === 'udp' && (serverPort === 67 || serverPort === 68 || clientPort === 67 || clientPort === 68);
    if (proto === 'tcp') {
      this.http = new HttpTransactions({ request: (r) => h.httpRequest?.(r), response: (r) => h.httpResponse?.(r) }, decodeBody);
      const mk = (): TlsStreamParser =>
        new TlsStreamParser({
          clientHello: (c) => h.clientHello?.(c, this.ref),
          serverHello: (s) => h.serverHello?.(s, this.ref),
          curve: (g) => h.curve?.(g),
          certificates: (d) => h.certificates?.(d, this.ref),
        });
      this.tls = [mk(), mk()];
    } else {
      this.http = null;
      this.tls = null;
    }
  }

  /** A UDP datagram (payload) in direction dir. */
  datagram(dir: Direction, payload: Uint8Array, ref: PacketRef): void {
    this.ref = ref;
    if (this.dnsPort) {
      const m = parseDnsMessage(payload);
      if (m) this.h.dns?.(m, payload, dir, ref);
    }
    if (this.dhcpPort) {
      const m = parseDhcpMessage(payload);
      if (m) this.h.dhcp?.(m, dir, ref);
    }
  }

  onData(c: StreamChunk): void {
    this.ref = { tsSec: c.tsSec, tsNsec: c.tsNsec, packet: c.packet };
    if (this.proto === 'udp') return this.datagram(c.dir, c.data, this.ref);
    // first lines first: a banner in this chunk recognises the protocol before rules see it
    this.firstLineOf(c);
    this.h.streamData?.(c);
    this.http?.onData(c);
    const t = this.tls?.[c.dir];
    if (t && !t.finished) {
      if (c.gapBefore > 0) t.push(new Uint8Array([0xff])); // a gap ends TLS parsing
      else t.push(c.data);
    }
    if (this.dnsPort) this.tcpDns(c);
  }

  onEnd(_dir: Direction, _reason: StreamEndReason): void {
    void _dir;
    void _reason;
  }

  finish(): void {
    this.http?.finish();
  }

  private firstLineOf(c: StreamChunk): void {
    const cur = this.line[c.dir];
    if (cur === null) return;
    if (c.gapBefore > 0 && c.offset - c.gapBefore <= 0) return void (this.line[c.dir] = null);
    let s = cur;
    for (let i = 0; i < c.data.length; i++) {
      const b = c.data[i];
      if (b === 0x0a) {
        this.line[c.dir] = null;
        if (s.endsWith('\r')) s = s.slice(0, -1);
        if (s) {
          this.h.firstLine?.(c.dir, s, this.ref);
          this.recognise(c.dir, s);
        }
        return;
      }
      if ((b < 0x20 && b !== 0x0d && b !== 0x09) || b > 0x7e || s.length >= LINE_CAP) return void (this.line[c.dir] = null);
      s += String.fromCharCode(b);
    }
    this.line[c.dir] = s;
  }

  /**
   * ssh: either side's first line is an SSH banner. Otherwise by the server's greeting: `+OK`
   * pop3, `* OK` imap, `220` ftp or smtp by port or wording, else by the client's first command
   * (EHLO/HELO smtp; USER/AUTH/FEAT/SYST ftp).
   */
  private recognise(dir: Direction, line: string): void {
    if (this.recognised) return;
    let p: string | null = null;
    if (line.startsWith('SSH-')) p = 'ssh';
    else if (dir === 1) {
      if (line.startsWith('+OK')) p = 'pop3';
      else if (line.startsWith('* OK')) p = 'imap';
      else if (/^220[ -]/.test(line)) {
        if (this.serverPort === 21 || /\bftp/i.test(line)) p = 'ftp';
        else if (this.serverPort === 25 || this.serverPort === 587 || this.serverPort === 465 || /smtp/i.test(line)) p = 'smtp';
        else this.greeting220 = true;
      }
    } else if (this.greeting220) {
      if (/^(?:EHLO|HELO) /i.test(line)) p = 'smtp';
      else if (/^(?:USER|AUTH|FEAT|SYST|OPTS) /i.test(line)) p = 'ftp';
    }
    if (p) {
      this.recognised = p;
      this.h.appProto?.(p);
    }
  }

  private tcpDns(c: StreamChunk): void {
    if (c.gapBefore > 0) this.dnsTcp[c.dir] = new Uint8Array(0);
    let b = concat(this.dnsTcp[c.dir], c.data);
    while (b.length >= 2) {
      const n = (b[0] << 8) | b[1];
      if (b.length < 2 + n) break;
      const raw = b.subarray(2, 2 + n);
      const m = parseDnsMessage(raw);
      if (m) this.h.dns?.(m, raw, c.dir, this.ref);
      b = b.subarray(2 + n);
    }
    this.dnsTcp[c.dir] = b.length > 70_000 ? new Uint8Array(0) : b.slice();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
