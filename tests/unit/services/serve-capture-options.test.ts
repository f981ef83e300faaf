/** `serve`'s capture options → one StartCapture request, checked by the API's schema. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { UsageError } from '../../../electron/cli/cli-args.js';
import { serveCaptureRequest } from '../../../electron/cli/serve-capture-options.js';

describe('serve capture options', () => {
  test('no source: no capture', () => {
    assert.equal(serveCaptureRequest({}), null);
  });
  test('--iface with filter, snaplen and store bounds', () => {
    const r = serveCaptureRequest({ iface: 'eth1', filter: 'not port 22', snaplen: '128', 'max-store': '2G', 'max-age': '7d', 'no-promisc': true });
    assert.deepEqual(JSON.parse(JSON.stringify(r)), {
      source: { kind: 'iface', iface: 'eth1', filter: 'not port 22', snaplen: 128, promiscuous: false },
      max_store_bytes: 2 * 2 ** 30,
      max_age_sec: 7 * 86400,
    });
  });
  test('--ssh: destination and port split, key and known_hosts made absolute paths', () => {
    const r = serveCaptureRequest({ ssh: 'admin@tap1:2222', 'remote-iface': 'eth1', identity: 'keys/id_ed25519', 'known-hosts': '/etc/ssh/known', sudo: true });
    assert.ok(r && r.source.kind === 'ssh');
    assert.equal(r.source.destination, 'admin@tap1');
    assert.equal(r.source.port, 2222);
    assert.equal(r.source.identity_file, resolve('keys/id_ed25519'));
    assert.equal(r.source.known_hosts_file, '/etc/ssh/known');
    assert.equal(r.source.sudo, true);
  });
  test('usage errors in words', () => {
    assert.throws(() => serveCaptureRequest({ iface: 'eth0', ssh: 'a@b' }), (e: unknown) => e instanceof UsageError && /not both/.test(e.message));
    assert.throws(() => serveCaptureRequest({ filter: 'udp' }), (e: unknown) => e instanceof UsageError && /--filter need --iface or --ssh/.test(e.message));
    assert.throws(() => serveCaptureRequest({ ssh: 'a@b' }), (e: unknown) => e instanceof UsageError && /--remote-iface/.test(e.message));
    assert.throws(() => serveCaptureRequest({ iface: 'lo; reboot' }), (e: unknown) => e instanceof UsageError && /iface/.test(e.message));
    assert.throws(() => serveCaptureRequest({ iface: 'lo', snaplen: 'big' }), UsageError);
  });
});
