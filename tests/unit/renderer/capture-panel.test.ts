/** The Capture panel's logic: the form → request (same schema as the server), and the store's status merging and failures in words. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { CaptureStatus } from '../../../common/bridge/capture-messages.js';
import { EMPTY_FORM, formRequest, mayRetryElevated } from '../../../renderer/src/capture/capture-form.js';
import { createCaptureStore } from '../../../renderer/src/capture/capture-store.js';
import { FakeBridge } from './fake-bridge.js';

const status = (over: Partial<CaptureStatus>): CaptureStatus => ({
  id: 'cap-1',
  state: 'running',
  source: 'lo',
  filter: null,
  started_at: '1700000000.000',
  stopped_at: null,
  packets: 0,
  bytes: 0,
  packets_per_sec: 0,
  bytes_per_sec: 0,
  kernel_drops: 0,
  if_drops: 0,
  store_drops: 0,
  stored_packets: 0,
  store_bytes: 0,
  active_flows: 0,
  flow_events_skipped: 0,
  error: null,
  hint: null,
  ...over,
});

describe('capture form', () => {
  test('an interface and a filter become an iface request; an empty filter is no filter', () => {
    assert.deepEqual(formRequest({ ...EMPTY_FORM, iface: 'eth1', filter: '  udp port 53 ' }), { ok: true, value: { source: { kind: 'iface', iface: 'eth1', filter: 'udp port 53' } } });
    // what crosses the wire is JSON: an undefined filter is no filter
    assert.deepEqual(JSON.parse(JSON.stringify(formRequest({ ...EMPTY_FORM, iface: 'eth1', filter: ' ' }))), { ok: true, value: { source: { kind: 'iface', iface: 'eth1' } } });
  });
  test('an ssh source names key files by path; pasted key material is refused in words', () => {
    const ok = formRequest({ ...EMPTY_FORM, kind: 'ssh', destination: 'admin@tap1', remoteIface: 'eth1', identityFile: '/home/t/.ssh/id_ed25519' });
    assert.ok(ok.ok && ok.value.source.kind === 'ssh' && ok.value.source.identity_file === '/home/t/.ssh/id_ed25519');
    const bad = formRequest({ ...EMPTY_FORM, kind: 'ssh', destination: 'admin@tap1', remoteIface: 'eth1', identityFile: '-----BEGIN OPENSSH PRIVATE KEY-----' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /^Key file: /);
  });
  test('an ssh source may pin the host key by its SHA-256 fingerprint; anything else is refused in words', () => {
    const fp = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
    const ok = formRequest({ ...EMPTY_FORM, kind: 'ssh', destination: 'admin@tap1', remoteIface: 'eth1', hostKeyFingerprint: ` ${fp} ` });
    assert.ok(ok.ok && ok.value.source.kind === 'ssh' && ok.value.source.host_key_fingerprint === fp);
    const bad = formRequest({ ...EMPTY_FORM, kind: 'ssh', destination: 'admin@tap1', remoteIface: 'eth1', hostKeyFingerprint: 'MD5:aa:bb' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /^Host key fingerprint: SHA256:<base64>/);
  });
  test('a retry with administrator rights asks for elevate; it is offered only for a local interface lacking privilege (403)', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(formRequest({ ...EMPTY_FORM, iface: 'eth1' }, { elevate: true }))), { ok: true, value: { source: { kind: 'iface', iface: 'eth1' }, elevate: true } });
    assert.equal(mayRetryElevated({ ...EMPTY_FORM, iface: 'eth1' }, { status: 403 }), true);
    assert.equal(mayRetryElevated({ ...EMPTY_FORM, iface: 'eth1' }, { status: 400 }), false);
    assert.equal(mayRetryElevated({ ...EMPTY_FORM, iface: 'eth1' }, null), false);
    assert.equal(mayRetryElevated({ ...EMPTY_FORM, kind: 'ssh', destination: 'a@b', remoteIface: 'eth1' }, { status: 403 }), false);
  });
  test('no interface chosen is a clear error', () => {
    const r = formRequest(EMPTY_FORM);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /^Interface: /);
  });
});

describe('capture store', () => {
  test('status events replace the same capture and keep others in order', () => {
    const store = createCaptureStore(new FakeBridge());
    const ev = (c: CaptureStatus) => ({ kind: 'capture' as const, id: 'e', sensor: 's', ts: '1.0', rank: 0, capture: c });
    store.getState().onEvent(ev(status({ id: 'cap-1', packets: 1 })));
    store.getState().onEvent(ev(status({ id: 'cap-2', state: 'failed' })));
    store.getState().onEvent(ev(status({ id: 'cap-1', packets: 50, packets_per_sec: 10 })));
    assert.deepEqual(store.getState().captures.map((c) => [c.id, c.packets]), [['cap-1', 50], ['cap-2', 0]]);
  });
  test('the form lives in the store (it survives the panel unmounting)', () => {
    const store = createCaptureStore(new FakeBridge());
    store.getState().setForm({ iface: 'eth1' });
    store.getState().setForm({ filter: 'tcp port 80' });
    assert.deepEqual(formRequest(store.getState().form), { ok: true, value: { source: { kind: 'iface', iface: 'eth1', filter: 'tcp port 80' } } });
  });
  test('a refused start keeps the back end\'s message and hint', async () => {
    const bridge = new FakeBridge();
    bridge.startCapture = async () => {
      throw new BridgeCallError('cannot capture on eth0: Operation not permitted', 'the capture worker needs cap_net_raw,cap_net_admin', 403);
    };
    const store = createCaptureStore(bridge);
    assert.equal(await store.getState().start({ source: { kind: 'iface', iface: 'eth0' } }), null);
    assert.deepEqual(store.getState().failure, { message: 'cannot capture on eth0: Operation not permitted', hint: 'the capture worker needs cap_net_raw,cap_net_admin', status: 403 });
    assert.equal(store.getState().busy, false);
  });
});
