/**
 * The kernel's count of datagrams it dropped for one UDP socket (its receive buffer was full):
 * the last column ("drops") of the socket's line in /proc/net/udp or /proc/net/udp6, found by
 * the local port. Linux only; null elsewhere or when the socket is not listed.
 */
import { readFile } from 'node:fs/promises';

export async function udpSocketDrops(port: number, ipv6: boolean): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(ipv6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8');
  } catch {
    return null;
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st ... drops
    if (cols.length < 13 || !cols[1].endsWith(`:${portHex}`)) continue;
    const n = Number(cols[cols.length - 1]);
    if (Number.isSafeInteger(n)) total = (total ?? 0) + n;
  }
  return total;
}
