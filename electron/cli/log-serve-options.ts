/**
 * `tapline serve` log options: --syslog udp|tcp|tls://HOST:PORT (repeatable), --export-syslog and
 * --export-cef udp|tcp://HOST:PORT (repeatable), --export-debug FILE, --export-kinds K,K,
 * --export-domain D, --cef-vendor/--cef-product/--cef-version, --resolve-dns [--dns-server IP[:PORT]]...
 * (host names in logs resolved by DNS too; discovery data is always used). Applied to the services once the
 * store is open; a receiver that cannot bind stops serve with the reason.
 */
import { hostname } from 'node:os';
import { DEFAULT_SYSLOG_PORT, parseLogEndpoint, type LogEndpoint } from '../../node/logs/log-endpoint.js';
import type { TaplineServices } from '../services/tapline-services.js';
import { ensureCertificate } from '../server/tls.js';
import { UsageError } from './cli-args.js';

export const LOG_SERVE_OPTIONS = {
  syslog: { type: 'string', multiple: true },
  'export-syslog': { type: 'string', multiple: true },
  'export-cef': { type: 'string', multiple: true },
  'export-debug': { type: 'string' },
  'export-kinds': { type: 'string' },
  'export-domain': { type: 'string' },
  'cef-vendor': { type: 'string' },
  'cef-product': { type: 'string' },
  'cef-version': { type: 'string' },
  'resolve-dns': { type: 'boolean' },
  'dns-server': { type: 'string', multiple: true },
} as const;

export interface LogServeConfig {
  receivers: LogEndpoint[];
  exportSyslog: LogEndpoint[];
  exportCef: LogEndpoint[];
  debugFile: string | null;
  kinds?: string[];
  domain?: string;
  vendor?: string;
  product?: string;
  version?: string;
  /** Host names in logs also resolved by DNS (servers: the system's unless given). */
  resolveDns: { servers: string[] } | null;
}

type Values = { [K in keyof typeof LOG_SERVE_OPTIONS]?: (typeof LOG_SERVE_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof LOG_SERVE_OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

function endpoints(list: string[] | undefined, allowed: readonly ('udp' | 'tcp' | 'tls')[], defaultPort: number, flag: string): LogEndpoint[] {
  return (list ?? []).map((t) => {
    const e = parseLogEndpoint(t, allowed, defaultPort);
    if (typeof e === 'string') throw new UsageError(`--${flag} ${e}`);
    return e;
  });
}

export function logServeConfig(v: Values): LogServeConfig {
  const text = (s: string | undefined, flag: string): string | undefined => {
    if (s !== undefined && (s.length > 63 || /[|\r\n\\]/.test(s))) throw new UsageError(`--${flag} takes up to 63 characters without | \\ or line breaks`);
    return s;
  };
  const domain = v['export-domain'];
  if (domain !== undefined && !/^[0-9A-Za-z._-]{1,63}$/.test(domain)) throw new UsageError('--export-domain takes letters, digits, . _ - (at most 63)');
  const kinds = v['export-kinds']?.split(',').map((k) => k.trim());
  if (kinds && (kinds.length === 0 || kinds.some((k) => !/^[a-z][a-z0-9-]{0,31}$/.test(k)))) throw new UsageError('--export-kinds takes event kinds separated by commas (e.g. flow,file,notice,log)');
  const servers = v['dns-server'] ?? [];
  for (const s of servers) if (!/^(?:[0-9.]{7,15}|\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Fa-f:.]{2,45})(?::\d{1,5})?$/.test(s)) throw new UsageError(`--dns-server ${s}: an IP address, optionally with :port (IPv6 in brackets with a port)`);
  if (servers.length && !v['resolve-dns']) throw new UsageError('--dns-server needs --resolve-dns');
  return {
    kinds,
    resolveDns: v['resolve-dns'] ? { servers } : null,
    receivers: endpoints(v.syslog, ['udp', 'tcp', 'tls'], DEFAULT_SYSLOG_PORT, 'syslog'),
    exportSyslog: endpoints(v['export-syslog'], ['udp', 'tcp'], 514, 'export-syslog'),
    exportCef: endpoints(v['export-cef'], ['udp', 'tcp'], 514, 'export-cef'),
    debugFile: v['export-debug'] ?? null,
    domain,
    vendor: text(v['cef-vendor'], 'cef-vendor'),
    product: text(v['cef-product'], 'cef-product'),
    version: text(v['cef-version'], 'cef-version'),
  };
}

/** Starts receivers and exporters; prints where each receiver listens. */
export async function applyLogServe(services: TaplineServices, storeDir: string, c: LogServeConfig, out: (line: string) => void): Promise<void> {
  if (c.resolveDns) {
    services.logs.resolver.enableDns({ servers: c.resolveDns.servers });
    out(`tapline serve: host names in logs resolved by DNS after discovery data${c.resolveDns.servers.length ? ` (servers ${c.resolveDns.servers.join(', ')})` : ''}`);
  }
  if (c.exportSyslog.length || c.exportCef.length || c.debugFile) {
    await services.logs.startExport({ syslog: c.exportSyslog, cef: c.exportCef, debugFile: c.debugFile, kinds: c.kinds, domain: c.domain, vendor: c.vendor, product: c.product, version: c.version });
  }
  for (const e of c.receivers) {
    const tls = e.transport === 'tls' ? await ensureCertificate(storeDir, e.host, [hostname()]) : null;
    try {
      const r = await services.logs.listen(e, tls);
      const detail = r.recv_buffer_bytes ? ` (receive buffer ${r.recv_buffer_bytes} bytes; ${r.udp_receiver_reason ?? 'dgram receiver'})` : tls ? ` (certificate SHA-256 ${tls.fingerprint})` : '';
      out(`tapline serve: receiving syslog on ${r.url}${detail}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const where = `${e.transport}://${e.host}:${e.port}`;
      if (code === 'EADDRINUSE') throw new Error(`${where} is already in use; pick another port with --syslog`);
      if (code === 'EACCES') throw new Error(`not allowed to listen on ${where} (ports below 1024 need privileges; the default is ${DEFAULT_SYSLOG_PORT})`);
      if (code === 'EADDRNOTAVAIL') throw new Error(`${e.host} is not an address of this machine`);
      throw err;
    }
  }
}
