/**
 * DHCP discovery on a capture built here (the corpus has no DHCP): a DISCOVER/OFFER/REQUEST/ACK
 * exchange with host name, client FQDN (wire form), vendor class, requested IP and client id.
 * tshark's dhcp fields are the oracle for every message's fields; host discovery then ties the
 * client's MAC, names and Windows guess to the acknowledged address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveryEvent } from '../../../common/bridge/messages.js';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { parseDhcpMessage } from '../../../common/discovery/dhcp-message.js';
import { detectStore } from '../../../node/rules/detect-store.js';
import { Store } from '../../../node/store/store.js';
import { be32, ethernet, ipv4, udp } from '../../helpers/packet-builders.js';

const MAC = [0x3c, 0x52, 0x82, 0x11, 0x22, 0x33];
const SERVER = [192, 168, 1, 1];
const LEASE = [192, 168, 1, 50];
const ZERO = [0, 0, 0, 0];
const BCAST = [255, 255, 255, 255];
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const opt = (code: number, data: number[]): number[] => [code, data.length, ...data];

function dhcp(op: 1 | 2, type: number, yiaddr: number[], options: number[]): number[] {
  const b = new Array(240).fill(0);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b.splice(4, 4, ...be32(0x5a5a1234));
  b.splice(16, 4, ...yiaddr);
  b.splice(28, 6, ...MAC);
  b.splice(236, 4, 0x63, 0x82, 0x53, 0x63);
  return [...b, ...opt(53, [type]), ...options, 255];
}

const clientOpts = (type: number): number[] => [
  ...opt(61, [1, ...MAC]),
  ...opt(12, ascii('LAPTOP-7')),
  ...opt(60, ascii('MSFT 5.0')),
  ...opt(55, [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]),
  ...(type === 3 ? [...opt(50, LEASE), ...opt(54, SERVER), ...opt(81, [0x04, 0, 0, 8, ...ascii('LAPTOP-7'), 4, ...ascii('corp'), 0])] : []),
];
const serverOpts = (): number[] => [...opt(54, SERVER), ...opt(51, be32(86400)), ...opt(1, [255, 255, 255, 0]), ...opt(3, SERVER), ...opt(6, [192, 168, 1, 1, 9, 9, 9, 9]), ...opt(15, ascii('corp'))];

function frame(src: number[], dst: number[], sport: number, dport: number, payload: number[]): Uint8Array {
  return ethernet(0x0800, ipv4({ src, dst, proto: 17, payload: udp(sport, dport, payload) }));
}

function writeCapture(path: string): void {
  const frames = [
    frame(ZERO, BCAST, 68, 67, dhcp(1, 1, ZERO, clientOpts(1))),
    frame(SERVER, BCAST, 67, 68, dhcp(2, 2, LEASE, serverOpts())),
    frame(ZERO, BCAST, 68, 67, dhcp(1, 3, ZERO, clientOpts(3))),
    frame(SERVER, LEASE, 67, 68, dhcp(2, 5, LEASE, serverOpts())),
  ];
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  frames.forEach((f, i) => {
    const r = new Uint8Array(16 + f.length);
    writePcapRecordHeader(r, 0, 1_700_000_000 + i, 0, f.length, f.length);
    r.set(f, 16);
    parts.push(r);
  });
  writeFileSync(path, Buffer.concat(parts));
}

test('a message with overloaded options and without the cookie', () => {
  const withOverload = dhcp(1, 3, ZERO, opt(52, [1]));
  // option 52 = 1: more options in the file field (bytes 108..235)
  withOverload.splice(108, 6, ...opt(12, ascii('HOST')));
  assert.equal(parseDhcpMessage(Uint8Array.from(withOverload))?.hostname, 'HOST');
  const noCookie = dhcp(1, 1, ZERO, []);
  noCookie[236] = 0;
  assert.equal(parseDhcpMessage(Uint8Array.from(noCookie)), null);
  assert.equal(parseDhcpMessage(new Uint8Array(100)), null);
});

const tsharkSkip = ((): string | false => {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'tshark is not installed';
  }
})();

test('DHCP service records equal tshark\'s dhcp fields; host discovery ties MAC, names and OS to the leased address', { skip: tsharkSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-disc-dhcp-'));
  try {
    const pcap = join(dir, 'dhcp.pcap');
    writeCapture(pcap);
    const fields = ['dhcp.option.dhcp', 'dhcp.hw.mac_addr', 'dhcp.option.hostname', 'dhcp.option.vendor_class_id', 'dhcp.option.requested_ip_address', 'dhcp.ip.your', 'dhcp.option.dhcp_server_id', 'dhcp.fqdn.name', 'dhcp.option.ip_address_lease_time'];
    const oracle = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'));
    assert.equal(oracle.length, 4);
    const store = join(dir, 'store');
    const out: DiscoveryEvent[] = [];
    const s = await Store.open(store, { create: true, log: () => undefined });
    try {
      await s.import([pcap]);
      await detectStore(s, { rules: null, discovery: true, onEvent: (e) => e.kind === 'discovery' && out.push(e) });
    } finally {
      await s.close();
    }
    const dhcpRecs = out.filter((e) => e.discovery.what === 'dhcp');
    const TYPES: Record<string, string> = { '1': 'DISCOVER', '2': 'OFFER', '3': 'REQUEST', '5': 'ACK' };
    for (const [type, mac, hostname, vendor, requested, your, serverId, fqdn, lease] of oracle) {
      const rec = dhcpRecs.find((e) => e.discovery.fields.message_type === TYPES[type]);
      assert.ok(rec, `a record for DHCP type ${type}`);
      const f = rec.discovery.fields;
      assert.equal(f.client_mac, mac);
      assert.equal(f.hostname ?? '', hostname);
      assert.equal(f.vendor_class ?? '', vendor);
      assert.equal(f.requested_ip ?? '', requested);
      assert.equal(f.assigned_ip ?? '0.0.0.0', your);
      assert.equal(f.server_id ?? '', serverId);
      assert.equal(f.fqdn ?? '', fqdn);
      assert.equal(f.lease_time ?? '', lease);
      // the server named by option 54, else (a DISCOVER) where the client sent it: the broadcast address
      assert.equal(rec.discovery.host, serverId || '255.255.255.255');
    }
    const host = out.find((e) => e.discovery.type === 'host' && e.discovery.host === '192.168.1.50');
    assert.ok(host, 'a host record for the leased address');
    assert.deepEqual(host.discovery.fields.macs, ['3c:52:82:11:22:33']);
    assert.deepEqual([...(host.discovery.fields.names as string[])].sort(), ['laptop-7', 'laptop-7.corp']);
    assert.deepEqual(host.discovery.fields.os, ['Windows']);
    assert.ok(!out.some((e) => e.discovery.type === 'host' && e.discovery.host === '0.0.0.0'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
