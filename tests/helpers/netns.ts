/**
 * Two network namespaces joined by a veth pair, for capture tests on real traffic that never
 * leaves the test's own namespaces. Names carry the test's pid (tl-cap-<pid>-a/b, veth
 * tca<pid>/tcb<pid>) so parallel runs never collide; remove() deletes both namespaces (which
 * deletes the veth pair) and is safe to call twice.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface NetnsPair {
  /** Namespace of side A and side B. */
  nsA: string;
  nsB: string;
  /** veth end in nsA / nsB. */
  ifA: string;
  ifB: string;
  /** IPv4 addresses of ifA / ifB (/24). */
  ipA: string;
  ipB: string;
  /** IPv6 addresses (ULA /64), so tests cover both families. */
  ip6A: string;
  ip6B: string;
  /** Runs a command in a namespace synchronously and returns stdout. */
  exec(ns: string, cmd: string, args: string[], timeoutMs?: number): string;
  /** Starts a command in a namespace. */
  spawnIn(ns: string, cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  remove(): void;
}

/** Why the test cannot create namespaces here (not root, no `ip`), or undefined when it can. */
export function netnsSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root to create network namespaces';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip) is not installed';
  }
  return undefined;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** `tag` distinguishes several pairs in one process (a short lowercase word). */
export function createNetnsPair(tag = 'x', subnet = 77): NetnsPair {
  const id = `${process.pid}`;
  const nsA = `tl-cap-${id}-${tag}a`;
  const nsB = `tl-cap-${id}-${tag}b`;
  // Interface names are limited to 15 characters.
  const ifA = `tc${tag}a${id}`.slice(0, 15);
  const ifB = `tc${tag}b${id}`.slice(0, 15);
  const ipA = `10.${subnet}.${process.pid % 250}.1`;
  const ipB = `10.${subnet}.${process.pid % 250}.2`;
  const ip6A = `fd7c:${subnet.toString(16)}:${(process.pid % 65536).toString(16)}::1`;
  const ip6B = `fd7c:${subnet.toString(16)}:${(process.pid % 65536).toString(16)}::2`;
  const remove = (): void => {
    for (const ns of [nsA, nsB]) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  };
  remove();
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    for (const [ns, dev, a4, a6] of [
      [nsA, ifA, ipA, ip6A],
      [nsB, ifB, ipB, ip6B],
    ] as const) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${a4}/24`, 'dev', dev]);
      ip(['-n', ns, 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (e) {
    remove();
    throw e;
  }
  return {
    nsA,
    nsB,
    ifA,
    ifB,
    ipA,
    ipB,
    ip6A,
    ip6B,
    exec: (ns, cmd, args, timeoutMs = 15_000) => execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }),
    spawnIn: (ns, cmd, args, opts = {}) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts),
    remove,
  };
}
