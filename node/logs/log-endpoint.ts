/** "udp://HOST:PORT", "tcp://HOST:PORT", "tls://HOST:PORT" (IPv6 in brackets) for receivers and exporters. */

export type LogTransport = 'udp' | 'tcp' | 'tls';

export interface LogEndpoint {
  transport: LogTransport;
  host: string;
  port: number;
}

/** The receivers' default port: unprivileged, so no root is needed (514 when the process may bind it). */
export const DEFAULT_SYSLOG_PORT = 5514;

export function parseLogEndpoint(text: string, allowed: readonly LogTransport[], defaultPort: number): LogEndpoint | string {
  const m = /^(udp|tcp|tls):\/\/(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!m) return `"${text}" is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`;
  const transport = m[1] as LogTransport;
  if (!allowed.includes(transport)) return `"${text}": ${transport} is not supported here (use ${allowed.join(', ')})`;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65535) return `"${text}": port must be 1..65535`;
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { transport, host, port };
}

export function endpointText(e: LogEndpoint): string {
  return `${e.transport}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}
