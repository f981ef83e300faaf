import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRow } from '../../../common/bridge/messages.js';
import { HttpBridge } from '../../../renderer/src/bridge/http-bridge.js';
import { bpfFilter, capmeTarget, hasTuple, wiresharkFilter } from '../../../renderer/src/menu/forensic-filters.js';
import { HTTP_V4, HTTP_V6, ICMP_V4, NON_IP } from './fixtures.js';

/** An HTTP bridge that never does I/O: only its URL building is used here. */
function urlBridge(origin: string): HttpBridge {
  const never = () => {
    throw new Error('no I/O in this test');
  };
  return new HttpBridge({ origin, fetch: never, openSocket: never, startDownload: never, setTimer: never, clearTimer: never, now: () => 0, random: () => 0 });
}

test('BPF: IPv4 TCP flow, both directions', () => {
  assert.equal(bpfFilter(HTTP_V4), 'host 141.142.228.5 and host 192.150.187.43 and tcp port 59856 and tcp port 80');
});

test('BPF: IPv6 UDP, SCTP, same ports, VLAN', () => {
  assert.equal(
    bpfFilter({ ...HTTP_V6, proto: 17, client_port: 5353, server_port: 53 }),
    'host 2001:db8:1:2::1002 and host 2001:db8:1:2::1000 and udp port 5353 and udp port 53',
  );
  assert.equal(bpfFilter({ ...HTTP_V4, proto: 132, client_port: 2905, server_port: 2905 }), 'host 141.142.228.5 and host 192.150.187.43 and sctp port 2905');
  assert.equal(bpfFilter({ ...HTTP_V4, vlan: 100 }), 'vlan 100 and host 141.142.228.5 and host 192.150.187.43 and tcp port 59856 and tcp port 80');
});

test('BPF: port-less protocols filter on the protocol', () => {
  assert.equal(bpfFilter(ICMP_V4), 'host 10.0.0.1 and host 10.0.0.2 and icmp');
  assert.equal(bpfFilter({ ...ICMP_V4, proto: 58, client_ip: 'fe80::1', server_ip: 'fe80::2' }), 'host fe80::1 and host fe80::2 and icmp6');
  assert.equal(bpfFilter({ ...ICMP_V4, proto: 47 }), 'host 10.0.0.1 and host 10.0.0.2 and ip proto 47');
  assert.equal(bpfFilter({ ...ICMP_V4, proto: 50, client_ip: '2001:db8::1', server_ip: '2001:db8::2' }), 'host 2001:db8::1 and host 2001:db8::2 and ip6 proto 50');
  // TCP fragments whose first fragment was lost: no ports known
  assert.equal(bpfFilter({ ...HTTP_V4, client_port: null, server_port: null }), 'host 141.142.228.5 and host 192.150.187.43 and tcp');
  // a host talking to itself
  assert.equal(bpfFilter({ ...ICMP_V4, server_ip: '10.0.0.1' }), 'host 10.0.0.1 and icmp');
});

test('Wireshark display filters in the conversation-filter form', () => {
  assert.equal(wiresharkFilter(HTTP_V4), 'ip.addr==141.142.228.5 && ip.addr==192.150.187.43 && tcp.port==59856 && tcp.port==80');
  assert.equal(wiresharkFilter(HTTP_V6), 'ipv6.addr==2001:db8:1:2::1002 && ipv6.addr==2001:db8:1:2::1000 && tcp.port==35023 && tcp.port==80');
  assert.equal(wiresharkFilter(ICMP_V4), 'ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && icmp');
  assert.equal(wiresharkFilter({ ...ICMP_V4, proto: 58, client_ip: 'fe80::1', server_ip: 'fe80::2' }), 'ipv6.addr==fe80::1 && ipv6.addr==fe80::2 && icmpv6');
  assert.equal(wiresharkFilter({ ...ICMP_V4, proto: 47 }), 'ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && ip.proto==47');
  assert.equal(wiresharkFilter({ ...ICMP_V4, proto: 47, client_ip: '2001:db8::1', server_ip: '2001:db8::2' }), 'ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && ipv6.nxt==47');
  assert.equal(wiresharkFilter({ ...HTTP_V4, proto: 17, vlan: 7 }), 'vlan.id==7 && ip.addr==141.142.228.5 && ip.addr==192.150.187.43 && udp.port==59856 && udp.port==80');
});

test('non-IP flows have no tuple: no filters, no CapMe target', () => {
  assert.equal(hasTuple(NON_IP), false);
  assert.equal(bpfFilter(NON_IP), null);
  assert.equal(wiresharkFilter(NON_IP), null);
  assert.equal(capmeTarget(NON_IP), null);
});

test('CapMe URLs: tuple, protocol number and the flow time window, exactly', () => {
  const b = urlBridge('https://sensor.example:8443');
  const v4 = capmeTarget(HTTP_V4);
  assert.ok(v4);
  assert.equal(
    b.pcapUrl(v4),
    'https://sensor.example:8443/pcap?sip=141.142.228.5&spt=59856&dip=192.150.187.43&dpt=80&proto=6&stime=1362692526.869344000&etime=1362692527.080972000&sensor=lab',
  );
  const v6 = capmeTarget(HTTP_V6);
  assert.ok(v6);
  assert.equal(
    b.pcapUrl(v6),
    'https://sensor.example:8443/pcap?sip=2001%3Adb8%3A1%3A2%3A%3A1002&spt=35023&dip=2001%3Adb8%3A1%3A2%3A%3A1000&dpt=80&proto=6&stime=1448215096.399450000&etime=1448215096.404047000&sensor=lab',
  );
  const icmp = capmeTarget(ICMP_V4);
  assert.ok(icmp);
  assert.equal(b.pcapUrl(icmp), 'https://sensor.example:8443/pcap?sip=10.0.0.1&dip=10.0.0.2&proto=1&stime=1362692526.869344000&etime=1362692527.080972000&sensor=lab');
  assert.equal(b.pcapUrl({ flow: 'ddc7da321d65-0', sensor: 'lab' }), 'https://sensor.example:8443/api/flows/ddc7da321d65-0/pcap?sensor=lab');
});

test('a row of the wrong kind never yields a half filter', () => {
  const partial: FlowRow = { ...HTTP_V4, server_ip: null };
  assert.equal(bpfFilter(partial), null);
  assert.equal(wiresharkFilter(partial), null);
});
