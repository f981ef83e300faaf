/**
 * FlowFollower on real frames built with tests/helpers/packet-builders.ts: decoding, orientation
 * by the flow's client and server, snaplen cuts, UDP datagrams and IP fragment reassembly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowFollower, type FlowEndpoints } from '../../../common/reassembly/flow-follower.js';
import { ethernet, ipv4, ipv6, tcp, udp, V4_DST, V4_SRC, V6_DST, V6_SRC } from '../../helpers/packet-builders.js';
import { ACK, FIN, SYN, ascii, recorder, stream } from './reassembly-helpers.js';

const ETH = 1;
const u8 = (a: number[]): Uint8Array => new Uint8Array(a);
const chars = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function v4Tcp(fromClient: boolean, seq: number, flags: number, payload = '', ack = 0): Uint8Array {
  const seg = fromClient ? tcp({ sport: 40000, dport: 80, seq, ack, flags, payload: chars(payload) }) : tcp({ sport: 80, dport: 40000, seq, ack, flags, payload: chars(payload) });
  return ethernet(0x0800, ipv4({ src: fromClient ? V4_SRC : V4_DST, dst: fromClient ? V4_DST : V4_SRC, proto: 6, payload: seg }));
}

const TCP4: FlowEndpoints = { ipVersion: 4, proto: 6, client: u8(V4_SRC), server: u8(V4_DST), clientPort: 40000, serverPort: 80 };

describe('FlowFollower', () => {
  test('TCP over IPv4: oriented by the flow record, handshake to FIN', () => {
    const rec = recorder();
    const f = new FlowFollower(TCP4, rec);
    const frames = [
      v4Tcp(true, 100, SYN),
      v4Tcp(false, 900, SYN | ACK, '', 101),
      v4Tcp(true, 101, ACK, 'GET / HTTP/1.0\r\n\r\n', 901),
      v4Tcp(false, 901, ACK | FIN, 'HTTP/1.0 200 OK\r\n\r\nhi', 119),
      v4Tcp(true, 119, ACK | FIN, '', 923),
    ];
    frames.forEach((fr, i) => f.push(ETH, fr, 1_700_000_000 + i, 500));
    f.finish();
    assert.equal(ascii(stream(rec, 0)), 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(ascii(stream(rec, 1)), 'HTTP/1.0 200 OK\r\n\r\nhi');
    assert.deepEqual(rec.chunks.map((c) => [c.dir, c.packet, c.tsSec, c.tsNsec]), [[0, 2, 1_700_000_002, 500], [1, 3, 1_700_000_003, 500]]);
    assert.deepEqual(rec.ends.map((e) => [e.dir, e.reason]), [[1, 'fin'], [0, 'fin']]);
    assert.equal(f.protocol, 'tcp');
    assert.equal(f.stats.unusable, 0);
    assert.equal(f.stats.packets, 5);
  });

  test('packets of another flow or protocol are counted as unusable, not followed', () => {
    const rec = recorder();
    const f = new FlowFollower(TCP4, rec);
    f.push(ETH, ethernet(0x0800, ipv4({ proto: 6, payload: tcp({ sport: 40001, dport: 80, flags: ACK, payload: [1, 2] }) })), 0, 0);
    f.push(ETH, ethernet(0x0800, ipv4({ proto: 17, payload: udp(40000, 80, [1]) })), 0, 0);
    f.push(ETH, ethernet(0x0806, new Uint8Array(28)), 0, 0);
    assert.equal(f.stats.unusable, 3);
    assert.equal(rec.chunks.length, 0);
  });

  test('IPv6 TCP', () => {
    const rec = recorder();
    const ep: FlowEndpoints = { ipVersion: 6, proto: 6, client: u8(V6_SRC), server: u8(V6_DST), clientPort: 5000, serverPort: 443 };
    const f = new FlowFollower(ep, rec);
    f.push(ETH, ethernet(0x86dd, ipv6({ nextHeader: 6, payload: tcp({ sport: 5000, dport: 443, seq: 7, flags: ACK, payload: chars('hello') }) })), 0, 0);
    f.push(ETH, ethernet(0x86dd, ipv6({ src: V6_DST, dst: V6_SRC, nextHeader: 6, payload: tcp({ sport: 443, dport: 5000, seq: 70, flags: ACK, payload: chars('world') }) })), 0, 0);
    f.finish();
    assert.deepEqual(rec.chunks.map((c) => [c.dir, ascii(c.data)]), [[0, 'hello'], [1, 'world']]);
  });

  test('a frame cut by the snaplen: its captured bytes, then the missing tail as a gap (wire length from the IP header)', () => {
    const rec = recorder();
    const f = new FlowFollower(TCP4, rec);
    f.push(ETH, v4Tcp(true, 100, SYN), 0, 0);
    const full = v4Tcp(true, 101, ACK, 'abcdefghijklmnopqrst');
    f.push(ETH, full.subarray(0, full.length - 12), 1, 0); // 8 of 20 payload bytes captured
    f.push(ETH, v4Tcp(true, 121, ACK, 'uvw'), 2, 0);
    f.finish();
    assert.deepEqual(rec.chunks.map((c) => [c.offset, c.gapBefore, ascii(c.data)]), [[0, 0, 'abcdefgh'], [20, 12, 'uvw']]);
  });

  test('UDP: each datagram one chunk at the running byte count of its direction', () => {
    const rec = recorder();
    const ep: FlowEndpoints = { ipVersion: 4, proto: 17, client: u8(V4_SRC), server: u8(V4_DST), clientPort: 5353, serverPort: 53 };
    const f = new FlowFollower(ep, rec);
    const q = (fromClient: boolean, payload: number[]): Uint8Array =>
      ethernet(0x0800, ipv4({ src: fromClient ? V4_SRC : V4_DST, dst: fromClient ? V4_DST : V4_SRC, proto: 17, payload: fromClient ? udp(5353, 53, payload) : udp(53, 5353, payload) }));
    f.push(ETH, q(true, [1, 2, 3]), 0, 0);
    f.push(ETH, q(false, [4, 5, 6, 7]), 0, 0);
    f.push(ETH, q(true, []), 0, 0); // empty datagram: nothing to follow
    f.push(ETH, q(true, [8]), 0, 0);
    const cut = q(false, [9, 9, 9, 9, 9]);
    f.push(ETH, cut.subarray(0, cut.length - 3), 0, 0);
    f.finish();
    assert.equal(f.protocol, 'udp');
    assert.deepEqual(rec.chunks.map((c) => [c.dir, c.offset, c.gapBefore, [...c.data]]), [[0, 0, 0, [1, 2, 3]], [1, 0, 0, [4, 5, 6, 7]], [0, 3, 0, [8]], [1, 4, 0, [9, 9]]]);
    assert.deepEqual(rec.ends, [{ dir: 0, reason: 'end-of-capture', gapAtEnd: 0 }, { dir: 1, reason: 'end-of-capture', gapAtEnd: 3 }]);
  });

  test('a fragmented UDP datagram is reassembled (fragments out of order), as tshark follows it', () => {
    const rec = recorder();
    const ep: FlowEndpoints = { ipVersion: 4, proto: 17, client: u8(V4_SRC), server: u8(V4_DST), clientPort: 5353, serverPort: 53 };
    const f = new FlowFollower(ep, rec);
    const payload = Array.from({ length: 100 }, (_, i) => i);
    const dgram = udp(53, 5353, payload); // 108 bytes: fragments of 48, 48, 12
    const frag = (off: number, end: number, mf: boolean): Uint8Array =>
      ethernet(0x0800, ipv4({ src: V4_DST, dst: V4_SRC, proto: 17, id: 77, mf, fragOffset: off, payload: dgram.subarray(off, end) }));
    f.push(ETH, frag(48, 96, true), 0, 0);
    f.push(ETH, frag(96, 108, false), 0, 0);
    assert.equal(rec.chunks.length, 0);
    f.push(ETH, frag(0, 48, true), 0, 0);
    // a second datagram that never completes
    f.push(ETH, ethernet(0x0800, ipv4({ src: V4_DST, dst: V4_SRC, proto: 17, id: 78, mf: true, payload: udp(53, 5353, [1, 2, 3, 4]) })), 0, 0);
    f.finish();
    assert.deepEqual(rec.chunks.map((c) => [c.dir, c.packet, [...c.data]]), [[1, 2, payload]]);
    assert.equal(f.stats.datagramsReassembled, 1);
    assert.equal(f.stats.datagramsIncomplete, 1);
  });

  test('a VLAN-tagged flow decodes like any other', () => {
    const rec = recorder();
    const f = new FlowFollower(TCP4, rec);
    const frame = ethernet(0x0800, ipv4({ proto: 6, payload: tcp({ sport: 40000, dport: 80, seq: 5, flags: ACK, payload: [0x41] }) }), [{ tpid: 0x8100, vid: 7 }]);
    f.push(ETH, frame, 0, 0);
    f.finish();
    assert.deepEqual(rec.chunks.map((c) => [...c.data]), [[0x41]]);
  });

  test('only TCP and UDP flows can be followed', () => {
    assert.throws(() => new FlowFollower({ ...TCP4, proto: 1 }, recorder()), /TCP and UDP only/);
  });
});
