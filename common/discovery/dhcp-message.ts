/**
 * A DHCPv4 message (RFC 2131 over BOOTP, options RFC 2132): the fields host discovery uses —
 * message type, client MAC, the addresses (ciaddr, yiaddr, requested IP, server id), host name
 * (option 12), client FQDN (option 81, RFC 4702: ASCII or wire-encoded), vendor class (60),
 * parameter request list (55), lease time, router, DNS servers and domain name. Options may be
 * overloaded into sname/file (option 52). Returns null when the bytes are not DHCP (no magic
 * cookie). Never throws. Environment-free.
 */

export const DHCP_MESSAGE_TYPES: Record<number, string> = { 1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM' };

export interface DhcpMessage {
  /** 1 = BOOTREQUEST (client), 2 = BOOTREPLY (server). */
  op: number;
  xid: number;
  /** Option 53, null for plain BOOTP. */
  type: number | null;
  /** chaddr as aa:bb:cc:dd:ee:ff when htype is Ethernet with hlen 6, else hex. */
  clientMac: string;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  hostname: string | null;
  fqdn: string | null;
  vendorClass: string | null;
  requestedIp: string | null;
  serverId: string | null;
  leaseTime: number | null;
  subnetMask: string | null;
  routers: string[];
  dnsServers: string[];
  domainName: string | null;
  paramRequest: number[];
  /** Option 61: type byte + hex. */
  clientId: string | null;
}

const COOKIE = [0x63, 0x82, 0x53, 0x63];

const ip4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function text(b: Uint8Array): string {
  let s = '';
  // a trailing NUL is common (Windows); other controls are shown escaped
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) {
    const c = b[i];
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function parseDhcpMessage(b: Uint8Array): DhcpMessage | null {
  if (b.length < 240) return null;
  for (let i = 0; i < 4; i++) if (b[236 + i] !== COOKIE[i]) return null;
  const op = b[0];
  if (op !== 1 && op !== 2) return null;
  const htype = b[1];
  const hlen = Math.min(b[2], 16);
  const ch = b.subarray(28, 28 + hlen);
  const m: DhcpMessage = {
    op,
    xid: ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0,
    type: null,
    clientMac: htype === 1 && hlen === 6 ? Array.from(ch, (x) => x.toString(16).padStart(2, '0')).join(':') : hex(ch),
    ciaddr: ip4(b, 12),
    yiaddr: ip4(b, 16),
    siaddr: ip4(b, 20),
    giaddr: ip4(b, 24),
    hostname: null,
    fqdn: null,
    vendorClass: null,
    requestedIp: null,
    serverId: null,
    leaseTime: null,
    subnetMask: null,
    routers: [],
    dnsServers: [],
    domainName: null,
    paramRequest: [],
    clientId: null,
  };
  const overload = options(b.subarray(240), m);
  if (overload & 1) options(b.subarray(108, 236), m);
  if (overload & 2) options(b.subarray(44, 108), m);
  return m;
}

/** Reads one options area into m; returns the option 52 overload value (0 when absent). */
function options(b: Uint8Array, m: DhcpMessage): number {
  let overload = 0;
  for (let p = 0; p < b.length; ) {
    const code = b[p];
    if (code === 0) {
      p++;
      continue;
    }
    if (code === 255 || p + 1 >= b.length) break;
    const len = b[p + 1];
    const d = b.subarray(p + 2, Math.min(b.length, p + 2 + len));
    p += 2 + len;
    const addrs = (): string[] => {
      const out: string[] = [];
      for (let i = 0; i + 3 < d.length; i += 4) out.push(ip4(d, i));
      return out;
    };
    switch (code) {
      case 53:
        if (d.length >= 1) m.type = d[0];
        break;
      case 12:
        m.hostname = text(d);
        break;
      case 60:
        m.vendorClass = text(d);
        break;
      case 50:
        if (d.length >= 4) m.requestedIp = ip4(d, 0);
        break;
      case 54:
        if (d.length >= 4) m.serverId = ip4(d, 0);
        break;
      case 51:
        if (d.length >= 4) m.leaseTime = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
        break;
      case 1:
        if (d.length >= 4) m.subnetMask = ip4(d, 0);
        break;
      case 3:
        m.routers = addrs();
        break;
      case 6:
        m.dnsServers = addrs();
        break;
      case 15:
        m.domainName = text(d);
        break;
      case 55:
        m.paramRequest = Array.from(d);
        break;
      case 61:
        if (d.length >= 1) m.clientId = `${d[0]}:${hex(d.subarray(1))}`;
        break;
      case 81:
        if (d.length >= 3) m.fqdn = (d[0] & 0x04) !== 0 ? wireName(d.subarray(3)) : text(d.subarray(3));
        break;
      case 52:
        if (d.length >= 1) overload = d[0];
        break;
      default:
        break;
    }
  }
  return overload;
}

/** RFC 1035 wire labels without compression (option 81 with the E flag). */
function wireName(d: Uint8Array): string {
  const labels: string[] = [];
  for (let p = 0; p < d.length; ) {
    const l = d[p];
    if (l === 0 || l > 63) break;
    labels.push(text(d.subarray(p + 1, p + 1 + l)));
    p += 1 + l;
  }
  return labels.join('.');
}
