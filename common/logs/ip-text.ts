/** Strict IP address text checks for addresses found in log messages (no DNS, no guessing). */

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return text.length <= 15 && V4.test(text);
}

export function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return false;
  let s = text;
  // an embedded IPv4 tail counts as two groups
  const lastColon = s.lastIndexOf(':');
  let extra = 0;
  if (s.indexOf('.', lastColon) > 0) {
    if (!isIpv4(s.slice(lastColon + 1))) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`;
    extra = 0;
  }
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return false;
  const groups = (part: string): string[] | null => {
    if (part === '') return [];
    const g = part.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  if (dbl >= 0) {
    const a = groups(s.slice(0, dbl));
    const b = groups(s.slice(dbl + 2));
    return a !== null && b !== null && a.length + b.length + extra <= 7;
  }
  const g = groups(s);
  return g !== null && g.length === 8;
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
