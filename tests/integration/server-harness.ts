/**
 * Shared by the serve tests: stores built with the real CLI, a TaplineServices + TaplineServer
 * started in-process on 127.0.0.1:0, and small raw HTTP helpers (raw so tests can send what
 * fetch would normalize away: `..` paths, foreign Origin and Host headers, huge bodies).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { TaplineServer } from '../../electron/server/server.js';
import { ensureCertificate } from '../../electron/server/tls.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { repoRoot } from '../helpers/corpus.js';

export const CLI = join(repoRoot, 'dist/electron/cli/main.js');

export function tapline(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function cliImport(store: string, ...captures: string[]): void {
  const r = tapline('import', '--store', store, ...captures);
  assert.equal(r.code, 0, r.stderr);
}

export function cliFlows(store: string, ...args: string[]): Record<string, unknown>[] {
  const r = tapline('flows', '--store', store, '--json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function cliSlice(store: string, out: string, ...args: string[]): Buffer {
  const r = tapline('slice', '--store', store, '-o', out, ...args);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(out);
}

export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

export interface Running {
  services: TaplineServices;
  server: TaplineServer;
  base: string;
  fingerprint: string | null;
  close(): Promise<void>;
}

export async function startServe(opts: { storeDir: string; sensorId: string; tls?: boolean; staticDir?: string; keepaliveMs?: number; token?: string; uploadStallMs?: number }): Promise<Running> {
  const services = await TaplineServices.open({ storeDir: opts.storeDir, sensorId: opts.sensorId });
  const cert = opts.tls ? await ensureCertificate(opts.storeDir, '127.0.0.1') : null;
  const server = await TaplineServer.start({
    services,
    storeDir: opts.storeDir,
    host: '127.0.0.1',
    port: 0,
    token: opts.token ?? TOKEN,
    tls: cert,
    staticDir: opts.staticDir,
    keepaliveMs: opts.keepaliveMs,
    uploadStallMs: opts.uploadStallMs,
  });
  return {
    services,
    server,
    base: server.url,
    fingerprint: cert?.fingerprint ?? null,
    async close() {
      await server.close(1000);
      await services.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
}

/** One request without fetch's URL normalization; https accepts any certificate (tests pin separately). */
export function raw(base: string, method: string, path: string, opts: { headers?: OutgoingHttpHeaders; body?: string | Buffer } = {}): Promise<RawResponse> {
  const u = new URL(base);
  const secure = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)({
      host: u.hostname,
      port: u.port,
      method,
      path,
      headers: opts.headers,
      agent: false,
      ...(secure ? { rejectUnauthorized: false } : {}),
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(opts.body);
  });
}

export const bearer = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** The SHA-256 fingerprint a TLS client sees. */
export function peerFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

/** Waits until cond() holds (polling), or fails after timeoutMs. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
