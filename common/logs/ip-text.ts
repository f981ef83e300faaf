/** Strict IP address text checks for addresses found in log messages (no DNS, no guessing). */

import { parseIp } from '../packet/ip-address.js';

// The store's own strict parser (no leading-zero octets, zone ids or brackets); the length
// bounds reject most words of a log line before it is tried.
export function isIpv4(text: string): boolean {
  return text.length >= 7 && text.length <= 15 && parseIp(text)?.version === 4;
}

export function isIpv6(text: string): boolean {
  return text.length >= 2 && text.length <= 45 && parseIp(text)?.version === 6;
}

export function isIp(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}

/**
 * "ip:port", "[v6]:port", or a bare address: the address and port it names, or null.
 * An unbracketed IPv6 address is taken whole (its last group is not a port).
 */
export function splitHostPort(text: string): { ip: string; port: number | null } | null {
  const t = text.trim();
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end < 0) return null;
    const ip = t.slice(1, end);
    if (!isIpv6(ip)) return null;
    const rest = t.slice(end + 1);
    if (rest === '') return { ip, port: null };
    if (!/^:\d{1,5}$/.test(rest) || Number(rest.slice(1)) > 65535) return null;
    return { ip, port: Number(rest.slice(1)) };
  }
  if (isIp(t)) return { ip: t, port: null };
  const c = t.lastIndexOf(':');
  if (c > 0 && /^\d{1,5}$/.test(t.slice(c + 1)) && Number(t.slice(c + 1)) <= 65535 && isIpv4(t.slice(0, c))) return { ip: t.slice(0, c), port: Number(t.slice(c + 1)) };
  return null;
}
