/**
 * The ssh command line for remote capture, built the way Wireshark's sshdump does it: the system
 * `ssh` runs `tcpdump -U -w - -i IFACE FILTER` on the remote host and we read pcap on its stdout.
 *
 * Security decisions:
 * - Host keys are always verified: StrictHostKeyChecking=yes (never accept-new), against a given
 *   known_hosts file, a pinned SHA-256 fingerprint, or else the user's own known_hosts.
 * - A pinned fingerprint is checked by ssh itself through KnownHostsCommand: ssh hands the key
 *   the server proved it holds to a tiny script that prints it back as a known_hosts line only
 *   when its fingerprint equals the pin; the usual known_hosts files are switched off.
 * - BatchMode=yes: key or agent authentication only, never a password prompt on a terminal we
 *   do not own.
 * - The capture's own connection is excluded on the remote side from SSH_CONNECTION
 *   ("client_ip client_port server_ip server_port"), which is exact even behind NAT or a jump
 *   host, where an address computed locally would be wrong.
 */
import { SourceConfigError } from './source-types.js';

export interface SshCaptureOptions {
  /** user@host or host (then ssh's default user). */
  destination: string;
  port?: number;
  remoteIface: string;
  filter?: string;
  sudo?: boolean;
  snapLen?: number;
  promiscuous?: boolean;
  knownHostsFile?: string;
  /** "SHA256:" + 43 base64 characters, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint?: string;
  identityFile?: string;
  /** The ssh binary; default "ssh" on PATH. */
  sshPath?: string;
}

export const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;
const DESTINATION_RE = /^(?:[A-Za-z0-9._][A-Za-z0-9._-]{0,63}@)?(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+)$/;
const IFACE_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function validateSshOptions(o: SshCaptureOptions): void {
  if (!DESTINATION_RE.test(o.destination)) throw new SourceConfigError(`"${o.destination}" is not user@host`, 'bad-option');
  if (!IFACE_RE.test(o.remoteIface)) throw new SourceConfigError(`"${o.remoteIface}" is not an interface name`, 'bad-interface');
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)) throw new SourceConfigError(`ssh port ${o.port} is not 1-65535`, 'bad-option');
  if (o.hostKeyFingerprint !== undefined && !FINGERPRINT_RE.test(o.hostKeyFingerprint)) {
    throw new SourceConfigError(`host key fingerprint "${o.hostKeyFingerprint}" must look like SHA256:<43 base64 characters> (ssh-keygen -lf)`, 'bad-option');
  }
  if (o.hostKeyFingerprint !== undefined && o.knownHostsFile !== undefined) throw new SourceConfigError('give either a known_hosts file or a pinned fingerprint, not both', 'bad-option');
  if (o.filter !== undefined && (o.filter.includes('\0') || o.filter.includes('\n'))) throw new SourceConfigError('the filter contains a NUL or newline', 'bad-filter');
  if (o.snapLen !== undefined && (!Number.isInteger(o.snapLen) || o.snapLen < 64 || o.snapLen > 262144)) throw new SourceConfigError(`snap length ${o.snapLen} must be 64-262144`, 'bad-option');
}

/** The command the remote shell runs (POSIX sh assumed, as sshdump assumes). */
export function remoteCaptureCommand(o: SshCaptureOptions): string {
  // One argument built from adjacent quoted strings: "not (own connection) and (" 'FILTER' ")".
  const exclude = 'not (tcp and host $1 and port $2 and host $3 and port $4)';
  const filter = o.filter !== undefined && o.filter.trim() !== '' ? `"${exclude} and ("${shellQuote(o.filter)}")"` : `"${exclude}"`;
  const parts = ['tcpdump', '-U', '-w', '-', '-s', String(o.snapLen ?? 262144), '-i', shellQuote(o.remoteIface)];
  if (o.promiscuous === false) parts.push('-p');
  const tcpdump = `${o.sudo ? 'sudo -n ' : ''}${parts.join(' ')} ${filter}`;
  // `set --` puts SSH_CONNECTION's four fields in $1..$4; without it the filter would be invalid,
  // so refuse clearly instead.
  return `[ -n "$SSH_CONNECTION" ] || { echo 'tapline: SSH_CONNECTION is not set on the remote side' >&2; exit 2; }; set -- $SSH_CONNECTION; exec ${tcpdump}`;
}

/** The ssh argv (without the program). `pinScript` is the KnownHostsCommand helper when a fingerprint is pinned. */
export function sshArgs(o: SshCaptureOptions, pinScript: string | null): string[] {
  const a = [
    '-T',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UpdateHostKeys=no',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', 'LogLevel=ERROR',
  ];
  if (o.hostKeyFingerprint !== undefined) {
    if (pinScript === null) throw new Error('a pinned fingerprint needs its KnownHostsCommand script');
    a.push('-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `KnownHostsCommand=${pinScript} %f %H %t %K`);
  } else if (o.knownHostsFile !== undefined) {
    a.push('-o', `UserKnownHostsFile=${o.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  }
  if (o.identityFile !== undefined) a.push('-i', o.identityFile, '-o', 'IdentitiesOnly=yes');
  if (o.port !== undefined) a.push('-p', String(o.port));
  a.push('--', o.destination, remoteCaptureCommand(o));
  return a;
}

/** The KnownHostsCommand helper: prints the offered key as a known_hosts line only when its fingerprint is the pin. */
export function pinScriptText(fingerprint: string): string {
  if (!FINGERPRINT_RE.test(fingerprint)) throw new Error('bad fingerprint');
  return `#!/bin/sh\n# tapline: accept exactly one host key (ssh passes %f %H %t %K)\n[ "$1" = ${shellQuote(fingerprint)} ] && [ -n "$4" ] && printf '%s %s %s\\n' "$2" "$3" "$4"\nexit 0\n`;
}

/** ssh's stderr says the failure cannot be cured by reconnecting. */
export function isPermanentSshFailure(stderr: string): boolean {
  return /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known|Permission denied|sudo: a (terminal|password) is required|syntax error|no such device|doesn't exist|You don't have permission|tcpdump: .*not found|command not found|SSH_CONNECTION is not set|Could not resolve hostname|Too many authentication failures|Bad configuration option/i.test(
    stderr,
  );
}

/** "user@host", "user@host:2222", "user@[v6]:2222" → ssh destination and port. */
export function parseSshDestination(text: string): { destination: string; port?: number } {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(text);
  let dest = text;
  let port: number | undefined;
  // A port suffix only when what precedes it is not a bare IPv6 address.
  if (m && m[2] !== undefined && (m[1].includes(']') || !m[1].includes(':'))) {
    dest = m[1];
    port = Number(m[2]);
  }
  dest = dest.replace(/@\[([^\]]+)\]$/, '@$1').replace(/^\[([^\]]+)\]$/, '$1');
  const o = { destination: dest, port, remoteIface: 'x' };
  validateSshOptions(o);
  return port === undefined ? { destination: dest } : { destination: dest, port };
}
