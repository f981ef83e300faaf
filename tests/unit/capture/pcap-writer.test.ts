/** The writer encoders produce files our parser reads back identically and Wireshark's tools accept. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import {
  encodePcapGlobalHeader,
  encodePcapngEnhancedPacketBlock,
  encodePcapngInterfaceBlock,
  encodePcapngSectionHeader,
  writePcapRecordHeader,
} from '../../../common/capture/pcap-writer.js';
import { capinfosAvailable, concatBytes, formatTimestamp, parseInChunks, prng, runCapinfos } from './capture-test-helpers.js';

interface Pkt {
  sec: number;
  nsec: number;
  data: Uint8Array;
  origLen: number;
}

function packets(seed: number, n: number): Pkt[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const data = new Uint8Array(14 + Math.floor(rand() * 100));
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(rand() * 256);
    return { sec: 1_700_000_000 + i, nsec: Math.floor(rand() * 1e9), data, origLen: data.length + (i % 3) };
  });
}

function writePcap(pkts: Pkt[], nanosecond: boolean, littleEndian: boolean): Uint8Array {
  const parts = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond, littleEndian })];
  for (const p of pkts) {
    const rec = new Uint8Array(16 + p.data.length);
    writePcapRecordHeader(rec, 0, p.sec, nanosecond ? p.nsec : Math.floor(p.nsec / 1000), p.data.length, p.origLen, littleEndian);
    rec.set(p.data, 16);
    parts.push(rec);
  }
  return concatBytes(parts);
}

function writePcapng(pkts: Pkt[], littleEndian: boolean): Uint8Array {
  const parts = [
    encodePcapngSectionHeader({ littleEndian, userAppl: 'Tapline test' }),
    encodePcapngInterfaceBlock({ linkType: 1, snapLen: 65535, name: 'eth0', littleEndian }),
    encodePcapngInterfaceBlock({ linkType: 1, snapLen: 65535, tsresol: 9, name: 'eth1', littleEndian }),
  ];
  pkts.forEach((p, i) => parts.push(encodePcapngEnhancedPacketBlock(i % 2, p.sec, p.nsec, i % 2 ? 1e9 : 1e6, p.data, p.origLen, littleEndian)));
  return concatBytes(parts);
}

test('the pcap global header is 24 bytes, version 2.4, with the magic for the timestamp unit in the chosen byte order', () => {
  const h = encodePcapGlobalHeader({ linkType: 113, snapLen: 262144, nanosecond: true, littleEndian: false });
  assert.equal(h.length, 24);
  assert.deepEqual([...h.subarray(0, 8)], [0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4]);
  assert.deepEqual([...encodePcapGlobalHeader({ linkType: 1, snapLen: 1, nanosecond: false }).subarray(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1]);
});

test('written pcap (µs and ns, both byte orders) and pcapng (µs and ns interfaces) parse back identically', () => {
  const pkts = packets(5, 30);
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      const got = parseInChunks(writePcap(pkts, nano, le), 11);
      assert.equal(got.error, null);
      assert.deepEqual(
        got.records.map((r) => [r.time, r.capLen, r.origLen, [...r.data]]),
        pkts.map((p) => [formatTimestamp(p.sec, nano ? p.nsec : Math.floor(p.nsec / 1000) * 1000), p.data.length, p.origLen, [...p.data]]),
      );
    }
    const ng = parseInChunks(writePcapng(pkts, le), 11);
    assert.equal(ng.error, null);
    assert.deepEqual(ng.interfaces.map((i) => [i.name, i.tsUnitsPerSecond]), [['eth0', 1e6], ['eth1', 1e9]]);
    assert.deepEqual(
      ng.records.map((r) => [r.interfaceId, r.time, r.capLen, r.origLen, [...r.data]]),
      pkts.map((p, i) => [i % 2, formatTimestamp(p.sec, i % 2 ? p.nsec : Math.floor(p.nsec / 1000) * 1000), p.data.length, p.origLen, [...p.data]]),
    );
  }
});

test('capinfos and tshark accept a written pcap and pcapng with the same packet count and timestamps', (t) => {
  if (!capinfosAvailable()) {
    t.skip('capinfos not installed');
    return;
  }
  const pkts = packets(9, 12);
  const dir = mkdtempSync(join(tmpdir(), 'tapline-writer-'));
  try {
    const files: [string, Uint8Array][] = [
      ['w.pcap', writePcap(pkts, false, true)],
      ['w-ns-be.pcap', writePcap(pkts, true, false)],
      ['w.pcapng', writePcapng(pkts, true)],
      ['w-be.pcapng', writePcapng(pkts, false)],
    ];
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const ci = runCapinfos(path);
      assert.equal(ci.damaged, false, `${name}: ${ci.stderr}`);
      assert.equal(ci.packets, pkts.length, name);
      const ts = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len'], { encoding: 'utf8' });
      if (ts.error !== undefined) {
        t.diagnostic('tshark not installed: timestamps checked by capinfos count only');
        continue;
      }
      assert.equal(ts.status, 0, ts.stderr);
      const ours = parseInChunks(bytes, 4096).records.map((r) => `${r.time}\t${r.origLen}`);
      assert.deepEqual(ts.stdout.trim().split('\n'), ours, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
