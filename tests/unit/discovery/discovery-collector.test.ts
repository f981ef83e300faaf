/**
 * Discovery from parsed application data: HTTP User-Agent and Server with OS guesses, Basic
 * credentials masked by default (shown only when asked), SSH/FTP banners and the client's USER
 * line, host aggregation of names from Host headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FlowAppLayer } from '../../../common/discovery/app-layer.js';
import { DiscoveryCollector, mask } from '../../../common/discovery/discovery-collector.js';

const digests = { md5: (b: Uint8Array) => createHash('md5').update(b).digest('hex'), sha256: (b: Uint8Array) => createHash('sha256').update(b).digest('hex') };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const f = { id: 'abcdefabcdef-1', clientIp: '10.0.0.5', serverIp: '198.51.100.7', clientPort: 50000, serverPort: 80 };

function run(showCredentials: boolean, serverPort: number, chunks: [0 | 1, string][]): DiscoveryCollector {
  const c = new DiscoveryCollector({ showCredentials, digests });
  const h = c.flow({ ...f, serverPort });
  const app = new FlowAppLayer('tcp', serverPort, f.clientPort, h);
  const off = [0, 0];
  chunks.forEach(([dir, s], i) => {
    app.onData({ dir, offset: off[dir], data: enc(s), gapBefore: 0, tsSec: 100 + i, tsNsec: 0, packet: i });
    off[dir] += s.length;
  });
  app.finish();
  h.finish();
  return c;
}

test('HTTP: user agent and server with OS guesses; Basic credentials masked by default', () => {
  const auth = Buffer.from('alice:hunter22').toString('base64');
  const chunks: [0 | 1, string][] = [
    [0, `GET / HTTP/1.1\r\nHost: Intranet.Example:8080\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAuthorization: Basic ${auth}\r\n\r\n`],
    [1, 'HTTP/1.1 200 OK\r\nServer: Apache/2.4.41 (Ubuntu)\r\nContent-Length: 0\r\n\r\n'],
  ];
  const c = run(false, 80, chunks);
  const what = c.services.map((s) => s.what).sort();
  assert.deepEqual(what, ['http-auth', 'http-server', 'http-user-agent']);
  const authRec = c.services.find((s) => s.what === 'http-auth');
  assert.deepEqual(authRec?.fields, { user: 'alice', password: mask('hunter22') });
  assert.notEqual(authRec?.fields.password, 'hunter22');
  assert.equal(run(true, 80, chunks).services.find((s) => s.what === 'http-auth')?.fields.password, 'hunter22');
  const client = c.hosts.get('10.0.0.5');
  assert.deepEqual([...(client?.os ?? [])], ['Windows NT 10.0']);
  assert.deepEqual([...(client?.users ?? [])], ['alice']);
  const server = c.hosts.get('198.51.100.7');
  assert.deepEqual([...(server?.names ?? [])], ['intranet.example']);
  assert.deepEqual([...(server?.os ?? [])], ['Linux (Ubuntu)']);
});

test('banners: SSH both sides, FTP greeting and the USER line', () => {
  const ssh = run(false, 22, [
    [1, 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n'],
    [0, 'SSH-2.0-PuTTY_Release_0.78\r\n'],
  ]);
  assert.deepEqual(
    ssh.services.map((s) => [s.what, s.host, s.fields.role]),
    [
      ['ssh', '198.51.100.7', 'server'],
      ['ssh', '10.0.0.5', 'client'],
    ],
  );
  assert.deepEqual([...(ssh.hosts.get('198.51.100.7')?.os ?? [])], ['Linux (Ubuntu)']);
  const ftp = run(false, 21, [
    [1, '220 (vsFTPd 3.0.3)\r\n'],
    [0, 'USER anonymous\r\n'],
  ]);
  assert.deepEqual(ftp.services.map((s) => [s.what, s.fields.banner]), [['ftp', '220 (vsFTPd 3.0.3)']]);
  assert.deepEqual([...(ftp.hosts.get('10.0.0.5')?.users ?? [])], ['anonymous']);
});
