/**
 * Security of `tapline serve`: authentication, the login cookie, Origin and CSRF checks, path
 * hygiene, body limits, the TLS certificate (through the real CLI process), the CSP header and
 * the token file's permissions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../electron/server/http-util.js';
import { loadToken, TokenFileError } from '../../electron/server/auth.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { bearer, CLI, cliImport, peerFingerprint, raw, startServe, TOKEN, waitFor, type Running } from './server-harness.js';

let dir = '';
let store = '';
let staticDir = '';
let run: Running;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-serve-sec-'));
  store = join(dir, 'store');
  writeFixturePcap(join(dir, 'fixture.pcap'));
  cliImport(store, join(dir, 'fixture.pcap'));
  staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tapline</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app");');
  writeFileSync(join(dir, 'secret.txt'), 'outside the UI folder');
  run = await startServe({ storeDir: store, sensorId: 'sec', staticDir, keepaliveMs: 200 });
});

after(async () => {
  await run?.close();
  rmSync(dir, { recursive: true, force: true });
});

const json = { 'Content-Type': 'application/json' };
const origin = (): string => run.base;

describe('authentication', () => {
  test('no token or a bad token: 401 with the login hint, on every API route', async () => {
    for (const path of ['/api/info', '/api/flows', '/api/events', '/api/stats', '/api/sensors', '/api/openapi.json', '/pcap?sip=10.1.0.5&dip=10.2.0.9', '/api/flows/000000000000-1/pcap']) {
      for (const headers of [{}, bearer('wrong-token-wrong-token'), { Authorization: 'Basic dGFwbGluZQ==' }, { Cookie: 'tapline_session=forgedforgedforgedforged1234' }]) {
        const r = await raw(run.base, 'GET', path, { headers });
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(r.json<{ hint: string }>().hint, 'open the login URL printed by tapline serve');
      }
    }
    const post = await raw(run.base, 'POST', '/api/uploads', { headers: json, body: '{"name":"a","size":1}' });
    assert.equal(post.status, 401);
  });

  test('the login URL sets an HttpOnly SameSite=Strict cookie and redirects to / without the token', async () => {
    const r = await raw(run.base, 'GET', `/login?token=${TOKEN}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /^tapline_session=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=\/$/);
    assert.ok(!cookie.includes(TOKEN));
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    const session = cookie.split(';')[0];
    const info = await raw(run.base, 'GET', '/api/info', { headers: { Cookie: session } });
    assert.equal(info.status, 200);
    // the form
    const page = await raw(run.base, 'GET', '/login');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    const html = page.body.toString();
    assert.match(html, /<form method="post" action="\/login">/);
    assert.ok(!/<script|<style|\sstyle=|\son[a-z]+=/i.test(html), 'no inline script or style');
    const form = await raw(run.base, 'POST', '/login', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    assert.equal(form.status, 303);
    assert.match(String(form.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    const bad = await raw(run.base, 'GET', '/login?token=not-the-token');
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['set-cookie'], undefined);
    // logout ends the session
    const out = await raw(run.base, 'POST', '/logout', { headers: { Cookie: session, 'X-Tapline-Request': '1' } });
    assert.equal(out.status, 204);
    assert.equal((await raw(run.base, 'GET', '/api/info', { headers: { Cookie: session } })).status, 401);
  });

  test('a Host header other than loopback is refused on a loopback listener (DNS rebinding)', async () => {
    const r = await raw(run.base, 'GET', '/api/info', { headers: { ...bearer(), Host: 'attacker.example:80' } });
    assert.equal(r.status, 403);
  });
});

async function login(): Promise<string> {
  const r = await raw(run.base, 'GET', `/login?token=${TOKEN}`);
  return String(r.headers['set-cookie']).split(';')[0];
}

describe('Origin and CSRF', () => {
  test('a POST with a foreign Origin is 403, also with a valid token; our own origin passes', async () => {
    const body = JSON.stringify({ name: 'x.pcap', size: 10 });
    const evil = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), ...json, Origin: 'http://evil.example' }, body });
    assert.equal(evil.status, 403);
    const nul = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), ...json, Origin: 'null' }, body });
    assert.equal(nul.status, 403);
    const ours = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), ...json, Origin: origin() }, body });
    assert.equal(ours.status, 201);
    const loginCsrf = await raw(run.base, 'POST', '/login', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' }, body: `token=${TOKEN}` });
    assert.equal(loginCsrf.status, 403);
  });

  test('a cookie-authenticated POST needs X-Tapline-Request: 1; Bearer clients do not', async () => {
    const cookie = await login();
    const body = JSON.stringify({ name: 'x.pcap', size: 10 });
    const without = await raw(run.base, 'POST', '/api/uploads', { headers: { Cookie: cookie, ...json }, body });
    assert.equal(without.status, 403);
    assert.match(without.json<{ error: string }>().error, /X-Tapline-Request/);
    const withHeader = await raw(run.base, 'POST', '/api/uploads', { headers: { Cookie: cookie, ...json, 'X-Tapline-Request': '1', Origin: origin() }, body });
    assert.equal(withHeader.status, 201);
    const del = await raw(run.base, 'DELETE', '/api/sensors/nobody', { headers: { Cookie: cookie } });
    assert.equal(del.status, 403);
    const wrongType = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), 'Content-Type': 'text/plain' }, body });
    assert.equal(wrongType.status, 415);
  });

  function tryWs(headers: Record<string, string>, wsOrigin?: string, query = ''): Promise<{ opened: boolean; status: number | null; ws: WebSocket }> {
    const ws = new WebSocket(`${run.base.replace('http', 'ws')}/api/live${query}`, { headers, ...(wsOrigin ? { origin: wsOrigin } : {}) });
    ws.on('error', () => undefined); // terminate() before the handshake completes reports one
    return new Promise((resolve) => {
      ws.once('open', () => resolve({ opened: true, status: null, ws }));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ opened: false, status: res.statusCode ?? null, ws });
        res.resume();
        ws.terminate();
      });
      ws.once('error', () => resolve({ opened: false, status: null, ws }));
    });
  }

  test('the WebSocket: foreign Origin 403, no auth 401, cookie without Origin 403; own Origin or Bearer open', async () => {
    const cookie = await login();
    assert.equal((await tryWs(bearer(), 'http://evil.example')).status, 403);
    assert.equal((await tryWs({ Cookie: cookie }, 'http://evil.example')).status, 403);
    assert.equal((await tryWs({})).status, 401);
    assert.equal((await tryWs({ Cookie: cookie })).status, 403, 'a cookie needs a browser Origin');
    const a = await tryWs(bearer());
    assert.ok(a.opened);
    a.ws.close();
    const b = await tryWs({ Cookie: cookie }, origin());
    assert.ok(b.opened);
    // logging out closes the session's stream (code 4401)
    const closed = new Promise<number>((resolve) => b.ws.once('close', (code) => resolve(code)));
    await raw(run.base, 'POST', '/logout', { headers: { Cookie: cookie, 'X-Tapline-Request': '1' } });
    assert.equal(await closed, 4401);
    const bad = await tryWs(bearer(), undefined);
    assert.ok(bad.opened);
    bad.ws.close();
    assert.equal((await tryWs(bearer(), undefined, '?since=abc')).status, 400);
  });
});

describe('paths', () => {
  test('.., %2e%2e, encoded slashes, absolute paths and NUL are 400; files outside the UI folder are never served', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/%2e%2e/etc/passwd', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '//etc/passwd', '/%2fetc%2fpasswd', '/C:/Windows/win.ini', '/index.html%00.js', '/api/flows/%2e%2e/pcap', '/./index.html', '/assets/..%5c..%5csecret.txt']) {
      const r = await raw(run.base, 'GET', p, { headers: bearer() });
      assert.equal(r.status, 400, p);
      assert.ok(!r.body.toString().includes('outside the UI folder'), p);
    }
    assert.equal((await raw(run.base, 'GET', '/etc/passwd')).status, 404);
    assert.equal((await raw(run.base, 'GET', '/.hidden')).status, 404);
    const app = await raw(run.base, 'GET', '/assets/app.js');
    assert.equal(app.status, 200);
    assert.equal(app.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(app.headers['x-content-type-options'], 'nosniff');
  });

  test('the served HTML carries the CSP and the other security headers; no UI build → 503 with a message', async () => {
    const r = await raw(run.base, 'GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.match(r.body.toString(), /<title>Tapline<\/title>/);
    const other = await startServe({ storeDir: join(dir, 'store2'), sensorId: 'nobuild', staticDir: join(dir, 'missing') });
    try {
      const m = await raw(other.base, 'GET', '/');
      assert.equal(m.status, 503);
      assert.equal(m.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.match(m.body.toString(), /web UI is not built/);
    } finally {
      await other.close();
    }
  });
});

describe('body limits', () => {
  /** Streams `total` bytes of zeros; reports the status and how much the server let through. */
  function bigPost(path: string, total: number, declareLength: boolean): Promise<{ status: number | null; sent: number; body: string }> {
    const u = new URL(run.base);
    return new Promise((resolve) => {
      const headers: Record<string, string> = { ...bearer(), 'Content-Type': path.includes('offset') ? 'application/octet-stream' : 'application/json' };
      if (declareLength) headers['Content-Length'] = String(total);
      const req = httpRequest({ host: u.hostname, port: u.port, method: path.includes('offset') ? 'PUT' : 'POST', path, headers, agent: false });
      let sent = 0;
      let status: number | null = null;
      let body = '';
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        resolve({ status, sent, body });
      };
      const chunk = Buffer.alloc(64 * 1024);
      const pump = (): void => {
        while (sent < total && status === null) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (sent >= total) req.end();
      };
      req.once('response', (res) => {
        status = res.statusCode ?? null;
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.once('end', finish);
      });
      req.once('error', finish);
      req.once('close', finish);
      pump();
    });
  }

  test('a 100 MB JSON body is refused with 413 and cut off early (declared length or streamed)', async (t) => {
    const total = 100 * 1024 * 1024;
    const declared = await bigPost('/api/uploads', total, true);
    assert.equal(declared.status, 413);
    assert.ok(declared.sent < 32 * 1024 * 1024, `the server stopped reading early (client wrote ${declared.sent} bytes)`);
    assert.match(declared.body, /limited to 1048576 bytes/);
    t.diagnostic(`declared length: the client wrote ${declared.sent} bytes before the cut`);
    const streamed = await bigPost('/api/uploads', total, false);
    t.diagnostic(`streamed: the client wrote ${streamed.sent} bytes before the cut`);
    assert.equal(streamed.status, 413);
    assert.ok(streamed.sent < 32 * 1024 * 1024, `the server stopped reading early (client wrote ${streamed.sent} bytes)`);
    // the server is fine afterwards
    assert.equal((await raw(run.base, 'GET', '/api/info', { headers: bearer() })).status, 200);
  });

  test('an upload chunk over 16 MiB is 413; a declared size over the limit is 413', async () => {
    const created = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), ...json }, body: JSON.stringify({ name: 'big.pcap', size: 40 * 1024 * 1024 }) });
    assert.equal(created.status, 201);
    const { id } = created.json<{ id: string }>();
    const big = await bigPost(`/api/uploads/${id}?offset=0`, 17 * 1024 * 1024, false);
    assert.equal(big.status, 413);
    const tooLarge = await raw(run.base, 'POST', '/api/uploads', { headers: { ...bearer(), ...json }, body: JSON.stringify({ name: 'huge.pcap', size: 65 * 1024 ** 3 }) });
    assert.equal(tooLarge.status, 413);
  });
});

describe('the serve command (real process)', () => {
  interface Proc {
    child: ChildProcess;
    lines: string[];
    stderr: string[];
    exit: Promise<number | null>;
  }

  function serve(...args: string[]): Proc {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const stderr: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, lines, stderr, exit };
  }

  async function started(p: Proc): Promise<{ url: URL; token: string; fingerprint: string | null }> {
    await waitFor(() => p.lines.some((l) => l.startsWith('tapline serve: open ')) || p.child.exitCode !== null, 'serve to print its login URL', 30_000);
    const open = p.lines.find((l) => l.startsWith('tapline serve: open '));
    assert.ok(open, p.stderr.join(''));
    await new Promise((r) => setTimeout(r, 100)); // the fingerprint line follows
    const u = new URL(open.slice('tapline serve: open '.length));
    const fp = p.lines.find((l) => l.startsWith('tapline serve: TLS certificate SHA-256 fingerprint '));
    return { url: u, token: u.searchParams.get('token') ?? '', fingerprint: fp ? fp.split(' ').pop()! : null };
  }

  async function stop(p: Proc): Promise<number | null> {
    p.child.kill('SIGTERM');
    return p.exit;
  }

  test('TLS: the certificate is made once, its fingerprint printed and stable across restarts; token file created 0600', async () => {
    const s = join(dir, 'tls-store');
    const first = serve('--store', s, '--listen', '127.0.0.1:0', '--tls');
    const a = await started(first);
    assert.equal(a.url.protocol, 'https:');
    assert.match(a.fingerprint ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(await peerFingerprint('127.0.0.1', Number(a.url.port)), a.fingerprint, 'the printed fingerprint is what a client sees');
    assert.equal(a.token, readFileSync(join(s, 'serve-token'), 'utf8').trim());
    assert.match(a.token, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(s, 'serve-token')).mode & 0o777, 0o600);
    assert.equal(statSync(join(s, 'tls', 'key.pem')).mode & 0o777, 0o600);
    const loginRes = await raw(a.url.origin, 'GET', `/login?token=${a.token}`);
    assert.match(String(loginRes.headers['set-cookie']), /; Secure/);
    assert.equal(await stop(first), 0);

    const second = serve('--store', s, '--listen', '127.0.0.1:0', '--tls');
    const b = await started(second);
    assert.equal(b.fingerprint, a.fingerprint);
    assert.equal(await peerFingerprint('127.0.0.1', Number(b.url.port)), a.fingerprint);
    assert.equal(b.token, a.token);
    assert.equal(await stop(second), 0);
  });

  test('plain HTTP on loopback by default, printing exactly one login line', async () => {
    const p = serve('--store', join(dir, 'plain-store'), '--listen', '127.0.0.1:0');
    const a = await started(p);
    assert.equal(a.url.protocol, 'http:');
    assert.equal(a.fingerprint, null);
    assert.equal(p.lines.length, 1);
    const info = await fetch(`${a.url.origin}/api/info`, { headers: bearer(a.token) });
    assert.equal(info.status, 200);
    assert.equal(await stop(p), 0);
  });

  test('a token file readable by others is refused; --no-tls on a non-loopback address is refused', async () => {
    const tokenFile = join(dir, 'token.txt');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    chmodSync(tokenFile, 0o644);
    const p = serve('--store', join(dir, 'tok-store'), '--listen', '127.0.0.1:0', '--token-file', tokenFile);
    assert.equal(await p.exit, 2);
    assert.match(p.stderr.join(''), /token file .*token\.txt is accessible by other users \(mode 0644\); run: chmod 600/);
    await assert.rejects(loadToken({ tokenFile, defaultPath: '' }), TokenFileError);
    chmodSync(tokenFile, 0o600);
    assert.equal((await loadToken({ tokenFile, defaultPath: '' })).token, TOKEN);

    const q = serve('--store', join(dir, 'tok-store'), '--listen', '0.0.0.0:0', '--no-tls');
    assert.equal(await q.exit, 2);
    assert.match(q.stderr.join(''), /--no-tls is refused for 0\.0\.0\.0: plain HTTP is allowed only on a loopback address/);
  });
});
