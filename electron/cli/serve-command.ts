/**
 * `tapline serve --store DIR [--listen HOST:PORT] [--token-file FILE] [--tls|--no-tls]
 *  [--sensor-id ID] [--upload-limit SIZE] [--import-dir DIR] [--syslog udp|tcp|tls://H:P]... [--export-syslog udp|tcp://H:P]...
 *  [--export-cef udp|tcp://H:P]... [--export-debug FILE]` (log options: log-serve-options.ts)
 *  [--iface NAME | --ssh user@host --remote-iface NAME] [--filter BPF] [--snaplen N] [--max-store SIZE] [--max-age DUR]
 *  (capture options: serve-capture-options.ts): the API and the web UI over HTTP(S) until SIGINT/SIGTERM,
 *  capturing into the store meanwhile when a source is given (a sensor on a tap port).
 * Plain HTTP only on loopback (the default there); any other address needs TLS.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadToken, TokenFileError } from '../server/auth.js';
import { DEFAULT_LISTEN, hostPort, isLoopbackHost, isWildcardHost, parseListen } from '../server/listen-address.js';
import { TaplineServer } from '../server/server.js';
import { ensureCertificate } from '../server/tls.js';
import { DEFAULT_UPLOAD_LIMIT } from '../server/uploads.js';
import { TaplineServices } from '../services/tapline-services.js';
import { UsageError, needString } from './cli-args.js';
import { LOG_SERVE_OPTIONS, applyLogServe, logServeConfig } from './log-serve-options.js';
import { SERVE_CAPTURE_OPTIONS, serveCaptureRequest } from './serve-capture-options.js';

function parseSize(text: string): number {
  const m = /^(\d{1,15})([KMGT]?)(i?B)?$/i.exec(text);
  if (!m) throw new UsageError(`--upload-limit "${text}" is not a size (e.g. 64G, 500M)`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
}

export async function serveCommand(args: string[], err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      listen: { type: 'string' },
      'token-file': { type: 'string' },
      tls: { type: 'boolean' },
      'no-tls': { type: 'boolean' },
      'sensor-id': { type: 'string' },
      'upload-limit': { type: 'string' },
      'import-dir': { type: 'string' },
      ...LOG_SERVE_OPTIONS,
      ...SERVE_CAPTURE_OPTIONS,
    },
    strict: true,
  });
  const storeDir = resolve(needString(values.store, 'store'));
  const listen = values.listen === undefined ? DEFAULT_LISTEN : parseListen(values.listen);
  if (typeof listen === 'string') throw new UsageError(listen);
  if (values.tls && values['no-tls']) throw new UsageError('give --tls or --no-tls, not both');
  const loopback = isLoopbackHost(listen.host);
  if (values['no-tls'] && !loopback) {
    err(`error: --no-tls is refused for ${listen.host}: plain HTTP is allowed only on a loopback address (127.0.0.1, ::1, localhost); drop --no-tls to serve HTTPS`);
    return 2;
  }
  const useTls = values.tls ?? !loopback;
  if (values['sensor-id'] !== undefined && !/^[0-9A-Za-z._-]{1,64}$/.test(values['sensor-id'])) throw new UsageError('--sensor-id takes letters, digits, . _ - (at most 64)');
  const uploadLimit = values['upload-limit'] === undefined ? DEFAULT_UPLOAD_LIMIT : parseSize(values['upload-limit']);
  const logConfig = logServeConfig(values);
  const captureRequest = serveCaptureRequest(values);

  const services = await TaplineServices.open({ storeDir, sensorId: values['sensor-id'], log: err });
  let server: TaplineServer | null = null;
  try {
    let token: string;
    try {
      token = (await loadToken({ tokenFile: values['token-file'] && resolve(values['token-file']), defaultPath: join(storeDir, 'serve-token') })).token;
    } catch (e) {
      if (e instanceof TokenFileError) {
        err(`error: ${e.message}`);
        return 2;
      }
      throw e;
    }
    const wildcard = isWildcardHost(listen.host);
    const cert = useTls ? await ensureCertificate(storeDir, listen.host, wildcard ? [hostname()] : []) : null;
    try {
      server = await TaplineServer.start({
        services,
        storeDir,
        host: listen.host,
        port: listen.port,
        token,
        tls: cert,
        uploadLimitBytes: uploadLimit,
        importDir: values['import-dir'] === undefined ? undefined : resolve(values['import-dir']),
        log: (line) => err(line),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') err(`error: ${hostPort(listen.host, listen.port)} is already in use; pick another port with --listen`);
      else if (code === 'EADDRNOTAVAIL') err(`error: ${listen.host} is not an address of this machine`);
      else if (code === 'EACCES') err(`error: not allowed to listen on ${hostPort(listen.host, listen.port)} (ports below 1024 need privileges)`);
      else throw e;
      return 1;
    }
    // a wildcard address is not something to type into a browser: print this machine's name
    const shownHost = wildcard ? hostname() : listen.host;
    const base = `${useTls ? 'https' : 'http'}://${hostPort(shownHost, server.port)}`;
    process.stdout.write(`tapline serve: open ${base}/login?token=${encodeURIComponent(token)}\n`);
    if (cert) process.stdout.write(`tapline serve: TLS certificate SHA-256 fingerprint ${cert.fingerprint}\n`);
    try {
      await applyLogServe(services, storeDir, logConfig, (line) => process.stdout.write(`${line}\n`));
    } catch (e) {
      err(`error: ${(e as Error).message}`);
      return 1;
    }
    if (captureRequest) {
      try {
        const c = await services.capture.start(captureRequest);
        process.stdout.write(`tapline serve: capturing on ${c.source}${c.filter ? ` (filter "${c.filter}")` : ''} as ${c.id}\n`);
      } catch (e) {
        const hint = (e as { hint?: unknown }).hint;
        err(`error: ${(e as Error).message}${typeof hint === 'string' ? `\nhint: ${hint}` : ''}`);
        return 1;
      }
    }
    await waitForSignal();
    err('stopping');
    // the capture writes and indexes what it received before the server goes
    await services.capture.close();
    return 0;
  } finally {
    if (server) await server.close();
    await services.close();
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolvePromise) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolvePromise();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
