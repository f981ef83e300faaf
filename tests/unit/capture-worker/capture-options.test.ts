import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureWorkerProtocol } from '../../../common/worker/capture-worker-protocol.js';
import { UsageError } from '../../../electron/cli/cli-args.js';
import { parseCaptureArgs, parseDurationArg, parseSizeArg } from '../../../electron/cli/capture-command.js';
import { linkTypeForArphrd } from '../../../node/capture/interfaces.js';
import { checkStoreOptions } from '../../../node/capture/live-capture.js';
import { checkBpfFilter } from '../../../node/capture/sources/bpf-filter.js';
import { linkTypeFromBinding } from '../../../node/capture/sources/libpcap-binding.js';
import { SourceConfigError } from '../../../node/capture/sources/source-types.js';

describe('BPF filters are compiled before capture', () => {
  it('accepts valid filters for the link type', () => {
    checkBpfFilter('tcp port 443 or (udp and net 10.0.0.0/8)', 1);
    checkBpfFilter('', 1);
    checkBpfFilter('ip6 and icmp6', 101);
  });
  it('refuses syntax errors and filters that do not fit the link type, naming the filter', () => {
    assert.throws(() => checkBpfFilter('tcp prot 80', 1), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-filter' && /invalid BPF filter "tcp prot 80": .*syntax error/.test(e.message));
    assert.throws(() => checkBpfFilter('ether host 02:00:00:00:00:01', 101), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-filter');
    assert.throws(() => checkBpfFilter('port 1\0', 1), SourceConfigError);
  });
});

describe('link types', () => {
  it('maps the binding names and Linux ARPHRD types to LINKTYPE values', () => {
    assert.equal(linkTypeFromBinding('LINKTYPE_ETHERNET'), 1);
    assert.equal(linkTypeFromBinding('LINKTYPE_RAW'), 101);
    assert.equal(linkTypeFromBinding('Unknown linktype 276'), 276);
    assert.equal(linkTypeForArphrd(772), 1, 'loopback is presented as Ethernet');
    assert.equal(linkTypeForArphrd(65534), 101, 'tun/wireguard are raw IP');
    assert.equal(linkTypeForArphrd(9999), null);
  });
});

describe('tapline capture arguments', () => {
  it('builds a libpcap source with its options and an absolute store', () => {
    const p = parseCaptureArgs(['--iface', 'eth0', '--filter', 'tcp', '--snaplen', '128', '--no-promisc', '--buffer-size', '64M', '--store', 'rel/store', '--duration', '90']);
    assert.deepEqual(p.source, { kind: 'libpcap', iface: 'eth0', filter: 'tcp', snapLen: 128, promiscuous: false, bufferSize: 64 * 2 ** 20 });
    assert.ok(p.store.dir.startsWith('/') && p.store.dir.endsWith('/rel/store'));
    assert.equal(p.durationSec, 90);
  });
  it('builds an ssh source', () => {
    const p = parseCaptureArgs(['--ssh', 'cap@sensor:2222', '--remote-iface', 'eth1', '--sudo', '--host-key-fingerprint', 'SHA256:' + 'a'.repeat(43), '--store', '/s']);
    assert.deepEqual(p.source, { kind: 'ssh', destination: 'cap@sensor', port: 2222, remoteIface: 'eth1', filter: undefined, sudo: true, snapLen: undefined, promiscuous: undefined, knownHostsFile: undefined, hostKeyFingerprint: 'SHA256:' + 'a'.repeat(43), identityFile: undefined });
  });
  it('needs exactly one source, and capture-only options only where they apply', () => {
    assert.throws(() => parseCaptureArgs(['--store', '/s']), UsageError);
    assert.throws(() => parseCaptureArgs(['--iface', 'a', '--read', '-', '--store', '/s']), UsageError);
    assert.throws(() => parseCaptureArgs(['--read', 'file.pcap', '--store', '/s']), /import files with `tapline import`/);
    assert.throws(() => parseCaptureArgs(['--pcap-over-ip', 'h:1', '--filter', 'tcp', '--store', '/s']), /apply to --iface and --ssh/);
  });
  it('parses sizes and durations', () => {
    assert.equal(parseSizeArg('2G', 'x'), 2 * 2 ** 30);
    assert.equal(parseSizeArg('512KiB', 'x'), 512 * 1024);
    assert.equal(parseDurationArg('15m', 'x'), 900);
    assert.equal(parseDurationArg('7d', 'x'), 604800);
    assert.throws(() => parseSizeArg('lots', 'x'), UsageError);
    assert.throws(() => parseDurationArg('0', 'x'), UsageError);
  });
  it('maps the store options to the live writer, and conditional mode needs a trigger', () => {
    const p = parseCaptureArgs(['--iface', 'eth0', '--store', '/s', '--max-store', '10G', '--max-age', '2d', '--mode', 'conditional', '--trigger-payload', 'EVIL', '--pre-alert-packets', '5']);
    assert.deepEqual([p.store.maxStoreBytes, p.store.maxAgeSec, p.store.mode, p.store.triggerPayload, p.store.preAlertPackets], [10 * 2 ** 30, 172800, 'conditional', 'EVIL', 5]);
    checkStoreOptions(p.store);
    const noTrigger = parseCaptureArgs(['--iface', 'eth0', '--store', '/s', '--mode', 'conditional']);
    assert.throws(() => checkStoreOptions(noTrigger.store), (e: unknown) => e instanceof SourceConfigError && /conditional mode needs an alert trigger/.test(e.message));
    const triggerInFull = parseCaptureArgs(['--iface', 'eth0', '--store', '/s', '--trigger-payload', 'x']);
    assert.throws(() => checkStoreOptions(triggerInFull.store), /apply to --mode conditional only/);
  });
});

describe('capture worker protocol', () => {
  it('validates start params strictly', () => {
    const start = captureWorkerProtocol.methods.start.params;
    assert.ok(start.safeParse({ source: { kind: 'libpcap', iface: 'eth0' }, store: { dir: '/s' } }).success);
    assert.ok(!start.safeParse({ source: { kind: 'libpcap', iface: 'eth0', extra: 1 }, store: { dir: '/s' } }).success);
    assert.ok(!start.safeParse({ source: { kind: 'libpcap', iface: 'eth0', snapLen: 10 }, store: { dir: '/s' } }).success);
    assert.ok(!start.safeParse({ source: { kind: 'tap', iface: 'eth0' }, store: { dir: '/s' } }).success);
  });
});

describe('capture worker launch', () => {
  it('runs this build by default, or the program or JSON argv in TAPLINE_CAPTURE_WORKER', async () => {
    const { captureWorkerLaunch, CaptureWorkerLaunchError } = await import('../../../electron/services/capture-controller.js');
    const dflt = captureWorkerLaunch({});
    assert.equal(dflt.command, process.execPath);
    assert.match(dflt.args.at(-1) ?? '', /capture-worker\/main\.(ts|js)$/);
    assert.deepEqual(captureWorkerLaunch({ TAPLINE_CAPTURE_WORKER: '/opt/tl/worker' }), { command: '/opt/tl/worker', args: [] });
    assert.deepEqual(captureWorkerLaunch({ TAPLINE_CAPTURE_WORKER: '["pkexec", "/opt/tl/worker"]' }), { command: 'pkexec', args: ['/opt/tl/worker'] });
    assert.throws(() => captureWorkerLaunch({ TAPLINE_CAPTURE_WORKER: '["pkexec", 3]' }), CaptureWorkerLaunchError);
  });
});
