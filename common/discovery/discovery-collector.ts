/**
 * Service and host discovery from parsed application data (FlowAppLayer): one service record
 * per distinct fact (HTTP Server and User-Agent, TLS session parameters and certificate, SSH,
 * SMTP, FTP, POP3, IMAP banners, DNS questions with their answers) and, per host, the DNS names,
 * user agents, OS guesses, user names and emails seen. Credentials (HTTP Basic, FTP/POP3 USER
 * lines carry only names) are masked unless `showCredentials`. Hashes come from the caller
 * (node:crypto at the edge) so this stays environment-free.
 */
import { latin1 } from '../carve/text.js';
import { base64Decode } from '../packet/base64.js';
import type { AppLayerHandlers } from './app-layer.js';
import { DNS_TYPES, type DnsMessage } from './dns-message.js';
import type { HttpRequest, HttpResponse, PacketRef } from './http-transactions.js';
import { cipherName, ja3String, TLS_GROUPS, TLS_VERSIONS, type ClientHello, type ServerHello } from './tls-handshake.js';
import { certificateNames } from './x509-names.js';
import { DHCP_MESSAGE_TYPES, type DhcpMessage } from './dhcp-message.js';
import { ja3sString, ja4 } from './tls-fingerprints.js';
import type { Direction } from '../reassembly/stream-types.js';

export interface Digests {
  md5(b: Uint8Array): string;
  sha256(b: Uint8Array): string;
}

export interface DiscoveryFlow {
  id: string | null;
  clientIp: string;
  serverIp: string;
  clientPort: number | null;
  serverPort: number | null;
}

export type Fields = Record<string, string | string[]>;

export interface ServiceRecord {
  what: string;
  host: string;
  port: number | null;
  peer: string | null;
  flowId: string | null;
  ref: PacketRef;
  fields: Fields;
}

export interface HostRecord {
  host: string;
  firstRef: PacketRef;
  names: Set<string>;
  userAgents: Set<string>;
  os: Set<string>;
  users: Set<string>;
  emails: Set<string>;
  software: Set<string>;
  /** MAC addresses seen for this address (DHCP). */
  macs: Set<string>;
}

const MAX_SET = 256;
const MAX_SERVICES = 200_000;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g;

export class DiscoveryCollector {
  readonly services: ServiceRecord[] = [];
  private readonly serviceKeys = new Set<string>();
  readonly hosts = new Map<string, HostRecord>();
  /** What DHCP clients said about themselves, by MAC, until a message ties the MAC to an address. */
  private readonly dhcpClients = new Map<string, { names: Set<string>; vendor: Set<string> }>();

  constructor(private readonly opts: { showCredentials: boolean; digests: Digests }) {}

  /** Handlers for one flow's application data; call the returned finish() after the flow. */
  flow(f: DiscoveryFlow): AppLayerHandlers & { finish(): void } {
    const tls: { hello: ClientHello | null; server: ServerHello | null; curve: number | null; certs: Uint8Array[] | null; ref: PacketRef | null } = { hello: null, server: null, curve: null, certs: null, ref: null };
    const c = this;
    return {
      httpRequest(r: HttpRequest): void {
        const ua = header(r, 'user-agent');
        if (ua) {
          c.service({ what: 'http-user-agent', host: f.clientIp, port: null, peer: f.serverIp, flowId: f.id, ref: r.ref, fields: { user_agent: ua } });
          const h = c.host(f.clientIp, r.ref);
          add(h.userAgents, ua);
          for (const os of osFromUserAgent(ua)) add(h.os, os);
        }
        const host = header(r, 'host');
        if (host) add(c.host(f.serverIp, r.ref).names, host.replace(/:\d+$/, '').toLowerCase());
        const auth = header(r, 'authorization');
        if (auth) c.httpAuth(f, auth, r.ref);
        const from = header(r, 'from');
        if (from) for (const e of from.match(EMAIL) ?? []) add(c.host(f.clientIp, r.ref).emails, e);
      },
      httpResponse(r: HttpResponse): void {
        const server = r.head.headers.find((x) => x.name === 'server')?.value;
        if (server) {
          c.service({ what: 'http-server', host: f.serverIp, port: f.serverPort, peer: f.clientIp, flowId: f.id, ref: r.ref, fields: { server } });
          const h = c.host(f.serverIp, r.ref);
          add(h.software, server);
          for (const os of osFromServerBanner(server)) add(h.os, os);
        }
      },
      clientHello(h: ClientHello, ref: PacketRef): void {
        tls.hello = h;
        tls.ref ??= ref;
      },
      serverHello(s: ServerHello, ref: PacketRef): void {
        tls.server = s;
        tls.ref ??= ref;
      },
      curve(g: number): void {
        tls.curve = g;
      },
      certificates(der: Uint8Array[], ref: PacketRef): void {
        tls.certs ??= der;
        tls.ref ??= ref;
      },
      dns(m: DnsMessage, _raw: Uint8Array, dir: Direction, ref: PacketRef): void {
        void _raw;
        // mDNS responses may carry no question: the first answer's name stands for it (as in Zeek)
        if (!m.response || (!m.questions.length && !m.answers.length)) return;
        const q = m.questions[0] ?? { name: m.answers[0].name, type: m.answers[0].type };
        const resolver = dir === 1 ? f.serverIp : f.clientIp;
        const asker = dir === 1 ? f.clientIp : f.serverIp;
        const answers = m.answers.map((a) => a.data ?? `${DNS_TYPES[a.type] ?? a.type}`);
        c.service({
          what: 'dns',
          host: resolver,
          port: dir === 1 ? f.serverPort : f.clientPort,
          peer: asker,
          flowId: f.id,
          ref,
          fields: { query: q.name, qtype: DNS_TYPES[q.type] ?? String(q.type), rcode: String(m.rcode), answers, ttls: m.answers.map((a) => String(a.ttl)) },
        });
        for (const a of m.answers) if ((a.type === 1 || a.type === 28) && a.data) add(c.host(a.data, ref).names, a.name.toLowerCase());
      },
      firstLine(dir: Direction, line: string, ref: PacketRef): void {
        c.banner(f, dir, line, ref);
      },
      dhcp(m: DhcpMessage, dir: Direction, ref: PacketRef): void {
        c.dhcp(f, m, dir, ref);
      },
      finish(): void {
        if (!tls.hello && !tls.server) return;
        const fields: Fields = {};
        const h = tls.hello;
        const s = tls.server;
        if (h?.sni) fields.sni = h.sni;
        if (h?.alpn.length) fields.alpn = h.alpn;
        if (h) {
          fields.ja3_string = ja3String(h);
          fields.ja3 = c.opts.digests.md5(new TextEncoder().encode(fields.ja3_string));
          const j4 = ja4(h, (t) => c.opts.digests.sha256(new TextEncoder().encode(t)));
          fields.ja4 = j4.ja4;
          fields.ja4_r = j4.raw;
        }
        if (s) {
          fields.ja3s_string = ja3sString(s);
          fields.ja3s = c.opts.digests.md5(new TextEncoder().encode(fields.ja3s_string));
          fields.version = TLS_VERSIONS[s.version] ?? `0x${s.version.toString(16)}`;
          fields.cipher = cipherName(s.cipher);
          const g = s.group ?? tls.curve;
          if (g !== null) fields.curve = TLS_GROUPS[g] ?? String(g);
        }
        if (tls.certs?.length) {
          fields.cert_chain_sha256 = tls.certs.map((d) => c.opts.digests.sha256(d));
          const n = certificateNames(tls.certs[0]);
          if (n) {
            fields.subject = n.subject;
            fields.issuer = n.issuer;
          }
        }
        c.service({ what: 'tls', host: f.serverIp, port: f.serverPort, peer: f.clientIp, flowId: f.id, ref: tls.ref ?? { tsSec: 0, tsNsec: 0, packet: 0 }, fields });
        if (h?.sni) add(c.host(f.serverIp, tls.ref ?? { tsSec: 0, tsNsec: 0, packet: 0 }).names, h.sni.toLowerCase());
      },
    };
  }

  /**
   * DHCP: a `dhcp` service record per message (the server, its client's MAC and what either
   * side said), and host facts for the client's address once a message ties the MAC to one
   * (ACK/OFFER yiaddr, REQUEST option 50 or ciaddr): host name, FQDN, vendor class (and the OS
   * it implies), MAC. Names a client gave before it had an address are kept by MAC until then.
   */
  private dhcp(f: DiscoveryFlow, m: DhcpMessage, dir: Direction, ref: PacketRef): void {
    const fields: Fields = { message_type: m.type === null ? 'BOOTP' : (DHCP_MESSAGE_TYPES[m.type] ?? String(m.type)), client_mac: m.clientMac };
    if (m.hostname !== null) fields.hostname = m.hostname;
    if (m.fqdn) fields.fqdn = m.fqdn;
    if (m.vendorClass !== null) fields.vendor_class = m.vendorClass;
    if (m.requestedIp) fields.requested_ip = m.requestedIp;
    if (m.ciaddr !== '0.0.0.0') fields.client_ip = m.ciaddr;
    if (m.yiaddr !== '0.0.0.0') fields.assigned_ip = m.yiaddr;
    if (m.serverId) fields.server_id = m.serverId;
    if (m.leaseTime !== null) fields.lease_time = String(m.leaseTime);
    if (m.subnetMask) fields.subnet_mask = m.subnetMask;
    if (m.routers.length) fields.routers = m.routers;
    if (m.dnsServers.length) fields.dns_servers = m.dnsServers;
    if (m.domainName) fields.domain = m.domainName;
    if (m.paramRequest.length) fields.param_request = m.paramRequest.map(String);
    if (m.clientId) fields.client_id = m.clientId;
    const fromServer = m.op === 2;
    const flowServer = dir === 0 ? f.serverIp : f.clientIp;
    const flowClient = dir === 0 ? f.clientIp : f.serverIp;
    const server = m.serverId ?? (fromServer ? flowClient : flowServer);
    const peer = fromServer ? (m.yiaddr !== '0.0.0.0' ? m.yiaddr : flowServer) : flowClient;
    this.service({ what: 'dhcp', host: server, port: 67, peer, flowId: f.id, ref, fields });
    let known = this.dhcpClients.get(m.clientMac);
    if (!known) {
      if (this.dhcpClients.size >= MAX_SERVICES) return;
      this.dhcpClients.set(m.clientMac, (known = { names: new Set(), vendor: new Set() }));
    }
    if (!fromServer) {
      if (m.hostname) add(known.names, m.hostname.toLowerCase());
      if (m.fqdn) add(known.names, m.fqdn.toLowerCase());
      if (m.vendorClass) add(known.vendor, m.vendorClass);
    }
    // an OFFER assigns nothing yet; ACK does (yiaddr); a REQUEST names the address it wants
    const ip = m.type === 5 ? m.yiaddr : m.type === 3 ? (m.requestedIp ?? m.ciaddr) : m.type === 2 ? null : m.ciaddr;
    if (!ip || ip === '0.0.0.0') return;
    const h = this.host(ip, ref);
    add(h.macs, m.clientMac);
    for (const n of known.names) add(h.names, n);
    for (const v of known.vendor) {
      add(h.software, `DHCP ${v}`);
      for (const os of osFromDhcpVendor(v)) add(h.os, os);
    }
  }

  private service(r: ServiceRecord): void {
    const key = `${r.what}|${r.host}|${r.port}|${JSON.stringify(r.fields)}`;
    if (this.serviceKeys.has(key) || this.services.length >= MAX_SERVICES) return;
    this.serviceKeys.add(key);
    this.services.push(r);
  }

  private host(ip: string, ref: PacketRef): HostRecord {
    let h = this.hosts.get(ip);
    if (!h) {
      h = { host: ip, firstRef: ref, names: new Set(), userAgents: new Set(), os: new Set(), users: new Set(), emails: new Set(), software: new Set(), macs: new Set() };
      this.hosts.set(ip, h);
    }
    return h;
  }

  private httpAuth(f: DiscoveryFlow, auth: string, ref: PacketRef): void {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
    if (!m) return;
    // the regex admits only base64 characters; padding inside the value ends the decoding
    const decoded = latin1(base64Decode(new TextEncoder().encode(m[1])));
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    add(this.host(f.clientIp, ref).users, user);
    this.service({ what: 'http-auth', host: f.serverIp, port: f.serverPort, peer: f.clientIp, flowId: f.id, ref, fields: { user, password: this.opts.showCredentials ? password : mask(password) } });
  }

  private banner(f: DiscoveryFlow, dir: Direction, line: string, ref: PacketRef): void {
    const from = dir === 1 ? f.serverIp : f.clientIp;
    const port = dir === 1 ? f.serverPort : f.clientPort;
    const peer = dir === 1 ? f.clientIp : f.serverIp;
    if (line.startsWith('SSH-')) {
      this.service({ what: 'ssh', host: from, port, peer, flowId: f.id, ref, fields: { banner: line, role: dir === 1 ? 'server' : 'client' } });
      const h = this.host(from, ref);
      add(h.software, line);
      for (const os of osFromServerBanner(line)) add(h.os, os);
      return;
    }
    if (dir === 1) {
      const sp = f.serverPort;
      let what: string | null = null;
      if (/^220[ -]/.test(line)) what = sp === 21 || /\bftp\b/i.test(line) ? 'ftp' : sp === 25 || sp === 587 || sp === 465 || /smtp/i.test(line) ? 'smtp' : /ftp/i.test(line) ? 'ftp' : 'smtp';
      else if (line.startsWith('+OK')) what = 'pop3';
      else if (line.startsWith('* OK')) what = 'imap';
      if (what) {
        this.service({ what, host: from, port, peer, flowId: f.id, ref, fields: { banner: line } });
        const h = this.host(from, ref);
        for (const os of osFromServerBanner(line)) add(h.os, os);
      }
      return;
    }
    // client's first line: FTP/POP3 USER name, SMTP EHLO/HELO name
    const user = /^USER (\S{1,128})$/i.exec(line);
    if (user) add(this.host(f.clientIp, ref).users, user[1]);
    const helo = /^(?:EHLO|HELO) (\S{1,255})$/i.exec(line);
    if (helo) add(this.host(f.clientIp, ref).names, helo[1].toLowerCase());
    for (const e of line.match(EMAIL) ?? []) add(this.host(f.clientIp, ref).emails, e);
  }
}

function header(r: HttpRequest, name: string): string | null {
  return r.head.headers.find((x) => x.name === name)?.value ?? null;
}

function add(s: Set<string>, v: string): void {
  if (s.size < MAX_SET && v) s.add(v.slice(0, 1024));
}

/** First and last character kept, the rest starred, so a reader can tell two passwords apart
 * without reading them. */
export function mask(secret: string): string {
  if (secret.length <= 2) return '*'.repeat(secret.length);
  return `${secret[0]}${'*'.repeat(Math.min(secret.length - 2, 16))}${secret[secret.length - 1]}`;
}

export function osFromUserAgent(ua: string): string[] {
  const out: string[] = [];
  const win = /Windows NT (\d+\.\d+)/.exec(ua);
  if (win) out.push(`Windows NT ${win[1]}`);
  else if (/Windows/.test(ua)) out.push('Windows');
  const mac = /Mac OS X ([\d_.]+)/.exec(ua);
  if (/iPhone|iPad/.test(ua)) out.push('iOS');
  else if (mac) out.push(`macOS ${mac[1].replace(/_/g, '.')}`);
  const android = /Android ([\d.]+)/.exec(ua);
  if (android) out.push(`Android ${android[1]}`);
  else if (/Linux/.test(ua) && !/Android/.test(ua)) out.push('Linux');
  if (/CrOS/.test(ua)) out.push('ChromeOS');
  return out;
}

/** OS guesses from a DHCP vendor class identifier (option 60). */
export function osFromDhcpVendor(v: string): string[] {
  if (/^MSFT 5\.0/.test(v)) return ['Windows'];
  if (/^MSFT 98/.test(v)) return ['Windows 98'];
  const android = /^android-dhcp-(\d+)/i.exec(v);
  if (android) return [`Android ${android[1]}`];
  if (/^dhcpcd-.*:Linux/i.test(v) || /^udhcp/i.test(v)) return ['Linux'];
  if (/^dhcpcd-.*:(NetBSD|FreeBSD|OpenBSD)/i.test(v)) return [/NetBSD/i.test(v) ? 'NetBSD' : /FreeBSD/i.test(v) ? 'FreeBSD' : 'OpenBSD'];
  return [];
}

export function osFromServerBanner(b: string): string[] {
  const out: string[] = [];
  for (const [re, os] of [
    [/Ubuntu/i, 'Linux (Ubuntu)'],
    [/Debian/i, 'Linux (Debian)'],
    [/CentOS/i, 'Linux (CentOS)'],
    [/Red ?Hat|RHEL/i, 'Linux (Red Hat)'],
    [/Fedora/i, 'Linux (Fedora)'],
    [/FreeBSD/i, 'FreeBSD'],
    [/OpenBSD/i, 'OpenBSD'],
    [/Win32|Win64|Windows|Microsoft-IIS/i, 'Windows'],
  ] as [RegExp, string][]) {
    if (re.test(b)) out.push(os);
  }
  return out;
}
