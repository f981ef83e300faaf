/** `--listen HOST:PORT` parsing and the loopback rule (plain HTTP only on loopback). */
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 7880 };

/** HOST:PORT, [IPv6]:PORT, or :PORT (loopback). Returns a message on error. */
export function parseListen(text: string): ListenAddress | string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return `--listen "${text}" is not HOST:PORT (use [ADDR]:PORT for IPv6)`;
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = Number(m[3]);
  if (port > 65535) return `--listen port ${port} is not 0-65535`;
  if (m[1] !== undefined && isIP(host) !== 6) return `--listen "${text}": ${host} is not an IPv6 address`;
  if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host)) return `--listen "${text}": "${host}" is not a host name or IP address`;
  return { host, port };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** host:port as it appears in a URL (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
