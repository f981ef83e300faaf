/**
 * A real sshd (openssh-server) for remote-capture tests, started inside side B of a test's
 * network namespace pair with its own sshd_config, host key and authorized_keys (nothing of the
 * machine's ssh setup is read or changed), plus the client's key and a known_hosts naming it.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsPair } from '../helpers/netns.js';
import { waitForOutput } from './capture-harness.js';

export interface TestSshd {
  process: ChildProcess;
  port: number;
  /** The client's private key (ed25519, no passphrase), authorized for root. */
  identity: string;
  /** known_hosts with the server's key for [ipB]:port. */
  knownHosts: string;
  /** The host key's SHA256 fingerprint as ssh-keygen -l prints it. */
  hostFingerprint: string;
}

/** Why sshd tests cannot run here, or undefined. */
export function sshdSkipReason(): string | undefined {
  if (!existsSync('/usr/sbin/sshd')) return 'openssh-server (sshd) is not installed';
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'ssh is not installed';
  }
  return undefined;
}

export function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tapline-test', '-f', path]);
}

export function fingerprint(pubPath: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubPath], { encoding: 'utf8' }).split(' ')[1];
}

/** Starts sshd in pair.nsB on ipB:port; files go to `dir`. The caller kills `process` when done. */
export async function startTestSshd(pair: NetnsPair, dir: string, port = 2222): Promise<TestSshd> {
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  const identity = join(dir, 'client_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${identity}.pub`), { mode: 0o600 });
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${pair.ipB}]:${port} ${hostPub}\n`);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${pair.ipB}`,
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
  const sshd = pair.spawnIn(pair.nsB, '/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForOutput(sshd, 'stderr', /Server listening on/);
  } catch (e) {
    sshd.kill('SIGKILL');
    throw e;
  }
  return { process: sshd, port, identity, knownHosts, hostFingerprint: fingerprint(join(dir, 'host_key.pub')) };
}
