/**
 * A worker started by pkexec runs as root; it should hold no more than the file-capability
 * route gives: cap_net_raw and cap_net_admin, as the user who asked. Otherwise its stores would
 * be root's files (the user could not extend them later) and the unprivileged parent, which
 * chooses the store directory, could have root write wherever it likes.
 *
 * So, as root with PKEXEC_UID (pkexec sets it to the invoking user), the worker runs itself
 * again through util-linux's setpriv: that user's uid, primary gid and groups, the two
 * capabilities as ambient ones (kept across exec, in the inheritable set and the bounding set,
 * everything else dropped from the bounding set), a fixed PATH and no other environment. The
 * root process only waits (its stdio is the child's), and exits with the child's status.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const CAPS = '+net_raw,+net_admin';
/** Marks the re-run child, so it never tries again (it is not root anyway). */
const DROPPED_ENV = 'TAPLINE_WORKER_PKEXEC_DROPPED';
const SAFE_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The setpriv command that runs `exe` as `uid` with only the capture capabilities. */
export function setprivArgv(uid: number, gid: number, exe: string): string[] {
  return [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--init-groups',
    `--inh-caps=-all,${CAPS}`,
    `--ambient-caps=-all,${CAPS}`,
    `--bounding-set=-all,${CAPS}`,
    '--',
    exe,
  ];
}

/** The invoking user when this process is pkexec's root worker, else null. */
export function pkexecInvoker(env: NodeJS.ProcessEnv, euid: number): number | null {
  if (euid !== 0 || env[DROPPED_ENV] === '1') return null;
  const u = env.PKEXEC_UID;
  if (u === undefined || !/^\d{1,10}$/.test(u)) return null;
  const uid = Number(u);
  return uid === 0 ? null : uid; // root asked: nothing to drop to
}

/**
 * When this is pkexec's root worker: runs the worker again as the invoking user (see above) and
 * exits with its status; never returns then. Otherwise returns false and the worker starts here.
 */
export function runAsPkexecInvoker(): false {
  const uid = pkexecInvoker(process.env, typeof process.geteuid === 'function' ? process.geteuid() : -1);
  if (uid === null) return false;
  const env = { PATH: SAFE_PATH, [DROPPED_ENV]: '1' };
  let gid: number;
  try {
    gid = Number(execFileSync('id', ['-g', String(uid)], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  } catch (e) {
    process.stderr.write(`capture-worker: cannot find the group of uid ${uid} (pkexec's user): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(78);
  }
  const [cmd, ...args] = setprivArgv(uid, gid, process.execPath);
  // stdin, stdout and stderr are the protocol's pipes: the child uses them, this process waits
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.error) {
    process.stderr.write(`capture-worker: refusing to capture as root, and setpriv (util-linux) could not run the worker as uid ${uid}: ${r.error.message}\n`);
    process.exit(78);
  }
  process.exit(r.status ?? 1);
}
