/**
 * Refuses to run a privileged packaged worker from files others could change.
 *
 * The single executable loads two files from its folder at run time (the writer thread's
 * script and the pcap addon). With file capabilities (or as root under pkexec) anyone able to
 * replace one of them, or to add files to the folder, would run code with capture rights. So a
 * privileged worker checks the folder and each file: owned by root, not writable by group or
 * others, a regular file (not a link). An unprivileged worker has nothing to protect and skips it.
 */
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { LAYOUT_FILES, besideWorker, packagedWorkerDir } from './packaged-layout.js';

/** CapEff from /proc/self/status (0 when unreadable: then only euid 0 counts as privileged). */
function effectiveCapabilities(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

export function runningPrivileged(): boolean {
  return (typeof process.geteuid === 'function' && process.geteuid() === 0) || effectiveCapabilities() !== 0n;
}

function problem(path: string, st: Stats, wantDir: boolean): string | null {
  if (wantDir ? !st.isDirectory() : !st.isFile()) return `${path} is not a ${wantDir ? 'directory' : 'regular file'}`;
  if (st.uid !== 0) return `${path} is owned by uid ${st.uid}, not root`;
  if ((st.mode & 0o022) !== 0) return `${path} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

/** The problems with the layout the running executable sits in (empty: trusted). */
export function untrustedLayoutProblems(execPath: string = process.execPath): string[] {
  const out: string[] = [];
  const check = (path: string, wantDir: boolean): void => {
    try {
      const p = problem(path, lstatSync(path), wantDir);
      if (p) out.push(p);
    } catch (e) {
      out.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  check(packagedWorkerDir(execPath), true);
  for (const f of LAYOUT_FILES) check(besideWorker(f, execPath), false);
  return out;
}
