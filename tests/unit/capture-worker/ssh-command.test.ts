import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSshDestination, pinScriptText, remoteCaptureCommand, sshArgs, validateSshOptions, type SshCaptureOptions } from '../../../node/capture/sources/ssh-command.js';
import { SourceConfigError } from '../../../node/capture/sources/source-types.js';

describe('remote capture command', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-cap-sshcmd-'));
    // Stand-ins for tcpdump and sudo that print the argv they received, one argument per line.
    for (const name of ['tcpdump', 'sudo']) {
      writeFileSync(join(dir, name), `#!/bin/sh\necho "${name}"\nfor a in "$@"; do printf '%s\\n' "$a"; done\n`);
      chmodSync(join(dir, name), 0o755);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the command as the remote shell would, with SSH_CONNECTION set. */
  function runRemote(o: SshCaptureOptions, sshConnection = '192.0.2.10 51234 192.0.2.20 22'): string[] {
    const out = execFileSync('/bin/sh', ['-c', remoteCaptureCommand(o)], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, SSH_CONNECTION: sshConnection } });
    return out.split('\n').slice(0, -1);
  }

  const base: SshCaptureOptions = { destination: 'cap@sensor', remoteIface: 'eth1' };

  it('excludes exactly its own ssh connection from SSH_CONNECTION', () => {
    assert.deepEqual(runRemote(base), ['tcpdump', '-U', '-w', '-', '-s', '262144', '-i', 'eth1', 'not (tcp and host 192.0.2.10 and port 51234 and host 192.0.2.20 and port 22)']);
  });

  it('passes a hostile filter to tcpdump verbatim, as one argument, without running any of it', () => {
    const filter = `port 53 or host '10.0.0.1' and "x" $(touch ${join(dir, 'pwned')}) \`id\` ; echo hi`;
    const args = runRemote({ ...base, filter });
    assert.equal(args.at(-1), `not (tcp and host 192.0.2.10 and port 51234 and host 192.0.2.20 and port 22) and (${filter})`);
    assert.throws(() => execFileSync('test', ['-e', join(dir, 'pwned')]));
  });

  it('runs tcpdump through sudo -n, with -p when promiscuous mode is off and the snap length given', () => {
    const args = runRemote({ ...base, sudo: true, promiscuous: false, snapLen: 128 });
    assert.deepEqual(args.slice(0, 4), ['sudo', '-n', 'tcpdump', '-U']);
    assert.ok(args.includes('-p'));
    assert.deepEqual(args.slice(args.indexOf('-s'), args.indexOf('-s') + 2), ['-s', '128']);
  });

  it('refuses to run without SSH_CONNECTION rather than capture its own session', () => {
    assert.throws(() => execFileSync('/bin/sh', ['-c', remoteCaptureCommand(base)], { stdio: 'pipe', env: { PATH: `${dir}:/usr/bin:/bin` } }), /SSH_CONNECTION is not set/);
  });
});

describe('ssh source', () => {
  it('refuses a filter with a syntax error before connecting', async () => {
    const { SshSource } = await import('../../../node/capture/sources/ssh-source.js');
    const { CollectSink } = await import('./collect-sink.js');
    // sshPath would fail if it were ever run: the filter must be refused first.
    const src = new SshSource({ destination: 'cap@192.0.2.1', remoteIface: 'eth0', filter: 'tcp prt 22', sshPath: '/nonexistent/ssh' }, new CollectSink());
    await assert.rejects(src.start(), (e: unknown) => e instanceof SourceConfigError && e.code === 'bad-filter');
  });
});

describe('ssh arguments', () => {
  it('always verifies host keys strictly and never prompts', () => {
    const a = sshArgs({ destination: 'cap@sensor', remoteIface: 'eth0' }, null);
    assert.ok(a.includes('StrictHostKeyChecking=yes'));
    assert.ok(a.includes('BatchMode=yes'));
    assert.ok(!a.some((x) => /accept-new|StrictHostKeyChecking=no/.test(x)));
    assert.deepEqual(a.slice(a.indexOf('--') + 1, a.indexOf('--') + 2), ['cap@sensor']);
  });

  it('uses only the given known_hosts file', () => {
    const a = sshArgs({ destination: 'sensor', remoteIface: 'eth0', knownHostsFile: '/k/hosts', identityFile: '/k/id', port: 2200 }, null);
    assert.ok(a.includes('UserKnownHostsFile=/k/hosts'));
    assert.ok(a.includes('GlobalKnownHostsFile=/dev/null'));
    assert.deepEqual(a.slice(a.indexOf('-i'), a.indexOf('-i') + 2), ['-i', '/k/id']);
    assert.deepEqual(a.slice(a.indexOf('-p'), a.indexOf('-p') + 2), ['-p', '2200']);
  });

  it('checks a pinned fingerprint through KnownHostsCommand with the known_hosts files off', () => {
    const fp = 'SHA256:rsEwQ2YkOPYMPI+XoBGrxTaUD1YsFWVp+rsA4PvlcC8';
    const a = sshArgs({ destination: 'sensor', remoteIface: 'eth0', hostKeyFingerprint: fp }, '/tmp/pin.sh');
    assert.ok(a.includes('KnownHostsCommand=/tmp/pin.sh %f %H %t %K'));
    assert.ok(a.includes('UserKnownHostsFile=/dev/null'));
  });

  it('the pin script accepts only the pinned key', () => {
    const fp = 'SHA256:rsEwQ2YkOPYMPI+XoBGrxTaUD1YsFWVp+rsA4PvlcC8';
    const dir = mkdtempSync(join(tmpdir(), 'tl-cap-pin-'));
    try {
      const script = join(dir, 'pin.sh');
      writeFileSync(script, pinScriptText(fp), { mode: 0o700 });
      assert.equal(execFileSync(script, [fp, '[h]:22', 'ssh-ed25519', 'AAAAkey'], { encoding: 'utf8' }), '[h]:22 ssh-ed25519 AAAAkey\n');
      assert.equal(execFileSync(script, ['SHA256:' + 'A'.repeat(43), '[h]:22', 'ssh-ed25519', 'AAAAkey'], { encoding: 'utf8' }), '');
      assert.equal(execFileSync(script, ['', '', '', ''], { encoding: 'utf8' }), '', 'the algorithm-ordering call gets no key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects destinations that ssh would read as options, bad fingerprints and conflicting host-key sources', () => {
    const bad = (o: Partial<SshCaptureOptions>): void => assert.throws(() => validateSshOptions({ destination: 'h', remoteIface: 'eth0', ...o }), SourceConfigError);
    bad({ destination: '-oProxyCommand=touch /tmp/x' });
    bad({ destination: 'user@host name' });
    bad({ remoteIface: 'eth0; reboot' });
    bad({ hostKeyFingerprint: 'MD5:aa:bb' });
    bad({ hostKeyFingerprint: 'SHA256:' + 'A'.repeat(43), knownHostsFile: '/k' });
    bad({ filter: 'port 1\nport 2' });
  });

  it('parses user@host[:port] and bracketed IPv6', () => {
    assert.deepEqual(parseSshDestination('cap@sensor.example'), { destination: 'cap@sensor.example' });
    assert.deepEqual(parseSshDestination('cap@10.0.0.2:2222'), { destination: 'cap@10.0.0.2', port: 2222 });
    assert.deepEqual(parseSshDestination('cap@[fd00::2]:2222'), { destination: 'cap@fd00::2', port: 2222 });
    assert.deepEqual(parseSshDestination('cap@fd00::2'), { destination: 'cap@fd00::2' });
  });
});
