/**
 * Tapline's capture addon (native/capture) without a network: the interface list, BPF errors
 * before anything is opened, libpcap's error for an unknown interface, the lent-buffer checks,
 * and the choice between the native capture thread and the `pcap` package's loop (with its
 * reason when TAPLINE_NATIVE=0). Live capture itself is in tests/integration/capture-native.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createLibpcapSource } from '../../../node/capture/live-capture.js';
import { checkBpfFilter } from '../../../node/capture/sources/bpf-filter.js';
import { loadNativeCapture, nativeErrorCode } from '../../../node/capture/sources/native-capture-addon.js';
import { NativeLibpcapSource } from '../../../node/capture/sources/native-libpcap-source.js';
import { SourceConfigError } from '../../../node/capture/sources/source-types.js';
import { repoRoot } from '../../helpers/corpus.js';
import { CollectSink } from './collect-sink.js';

const native = loadNativeCapture();
const skip = native.ok ? undefined : native.reason;

describe('native capture addon', { skip }, () => {
  const addon = native.ok ? native.addon : null!;

  it('lists interfaces with pcap_findalldevs, lo flagged as loopback', () => {
    const devs = addon.findAllDevs();
    const lo = devs.find((d) => d.name === 'lo');
    assert.ok(lo, JSON.stringify(devs.map((d) => d.name)));
    assert.equal(lo.flags & 1, 1, 'PCAP_IF_LOOPBACK');
    assert.ok(lo.addresses.some((a) => a.addr === '127.0.0.1'));
    assert.match(addon.version(), /libpcap version \d/);
  });

  it('refuses a filter that does not compile with libpcap\'s message', () => {
    assert.throws(() => addon.compileFilter('udp prot 53', 1, 262144), (e: unknown) => nativeErrorCode(e) === 'ERR_BAD_FILTER' && /syntax error/.test((e as Error).message));
    addon.compileFilter('udp port 53 and not host 10.0.0.1', 1, 262144);
    // link types matter: an Ethernet-only primitive on a raw IP link
    assert.throws(() => addon.compileFilter('ether host 00:11:22:33:44:55', 12, 65535), (e: unknown) => nativeErrorCode(e) === 'ERR_BAD_FILTER');
    assert.throws(() => checkBpfFilter('tcp prot 80', 1), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-filter' && /^invalid BPF filter "tcp prot 80": .*syntax error/.test(e.message));
  });

  it('a bad filter is refused before the interface is opened; an unknown interface is named', async () => {
    const sink = new CollectSink();
    const bad = new NativeLibpcapSource({ iface: 'lo', filter: 'udp prot 53' }, sink, addon);
    await assert.rejects(bad.start(), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-filter' && /invalid BPF filter "udp prot 53"/.test(e.message));
    assert.equal(sink.links.length, 0, 'nothing was opened');
    const missing = new NativeLibpcapSource({ iface: 'tl-nonexist0' }, sink, addon);
    await assert.rejects(missing.start(), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-interface' && /cannot capture on tl-nonexist0: .*(No such device|doesn't exist)/.test(e.message));
  });

  it('checks the options and the buffers it is lent', () => {
    assert.throws(() => addon.open({ iface: 'lo', filter: '', snapLen: 10, promiscuous: false, bufferSize: 1 << 20, timeoutMs: 100, linkId: 0 }), /snapLen must be from 64/);
    assert.throws(() => addon.open({ iface: 'lo\0x', filter: '', snapLen: 1000, promiscuous: false, bufferSize: 1 << 20, timeoutMs: 100, linkId: 0 }), /NUL/);
    if (process.getuid?.() !== 0) return; // opening lo needs capture rights
    const o = addon.open({ iface: 'lo', filter: 'udp port 9', snapLen: 1000, promiscuous: false, bufferSize: 1 << 20, timeoutMs: 100, linkId: 0 });
    try {
      assert.equal(o.dlt, 1);
      assert.throws(() => addon.give(o.handle, new ArrayBuffer(100)), /one full-snaplen record/);
      const detached = new ArrayBuffer(4096);
      structuredClone(detached, { transfer: [detached] });
      assert.throws(() => addon.give(o.handle, detached), /attached ArrayBuffer/);
      addon.give(o.handle, new ArrayBuffer(4096));
      // the store writer lends views of shared-memory slots; other typed arrays are refused
      addon.give(o.handle, new Uint8Array(new SharedArrayBuffer(4096)));
      assert.throws(() => addon.give(o.handle, new Uint8Array(new SharedArrayBuffer(4096), 0, 100)), /one full-snaplen record/);
      assert.throws(() => addon.give(o.handle, new Uint16Array(2048) as unknown as Uint8Array), /ArrayBuffer or a Uint8Array/);
      assert.equal(addon.interfaceVersion(), 2);
    } finally {
      addon.close(o.handle);
    }
  });

  it('is chosen for libpcap captures, and the pcap package loop with the reason under TAPLINE_NATIVE=0', () => {
    assert.match(createLibpcapSource({ iface: 'lo' }, new CollectSink()).description, /^libpcap lo \(native capture thread\)$/);
    const code = `import { createLibpcapSource } from './node/capture/live-capture.ts'; process.stdout.write(createLibpcapSource({ iface: 'lo' }, { link() {}, packet() {}, gap() {} }).description);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, TAPLINE_NATIVE: '0' } });
    assert.equal(out, 'libpcap lo (pcap package loop: native addons switched off (TAPLINE_NATIVE=0))');
  });
});
