/**
 * O_DIRECT probes for the live store's segment writes (node/store/live/segment-direct-io.ts):
 * whether a folder's filesystem takes O_DIRECT, and whether this process holds a file open with it.
 */
import { closeSync, constants, openSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether this filesystem takes O_DIRECT (tmpfs before Linux 6.6 does not): the direct path falls back there. */
export function takesDirectIo(dir: string): boolean {
  const p = join(dir, 'o-direct-probe');
  try {
    closeSync(openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o644));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(p, { force: true });
  }
}

/** Whether this process holds `path` open with O_DIRECT (/proc/self/fdinfo flags, octal). */
export function openWithDirectIo(path: string): boolean {
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== path) continue;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (flags && (parseInt(flags[1], 8) & constants.O_DIRECT) !== 0) return true;
  }
  return false;
}
