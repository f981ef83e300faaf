/**
 * A stand-in pkexec for the elevation tests: a script named `pkexec` in DIR/bin that logs each
 * argument on a line of DIR/pkexec-argv.log, refuses as pkexec does when authentication is
 * dismissed while DIR/refuse exists, and otherwise runs the program "as root"
 * (FIXTURE_PRIVILEGED=1). Also a worker executable DIR/tapline-capture-worker running the
 * fixture worker.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_WORKER = fileURLToPath(new URL('../fixtures/workers/capture-fixture-worker.mjs', import.meta.url));

export async function standInPkexec(dir: string): Promise<{ bin: string; pkexecLog: string; worker: string; refuseFlag: string }> {
  const pkexecLog = join(dir, 'pkexec-argv.log');
  const refuseFlag = join(dir, 'refuse');
  const worker = join(dir, 'tapline-capture-worker');
  await writeFile(worker, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE_WORKER)}\n`);
  await chmod(worker, 0o755);
  const bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(
    join(bin, 'pkexec'),
    [
      '#!/bin/sh',
      `for a in "$@"; do printf '%s\\n' "$a" >> ${JSON.stringify(pkexecLog)}; done`,
      `if [ -e ${JSON.stringify(refuseFlag)} ]; then echo "Error executing command as another user: Not authorized" >&2; exit 127; fi`,
      'FIXTURE_PRIVILEGED=1 exec "$@"',
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'pkexec'), 0o755);
  return { bin, pkexecLog, worker, refuseFlag };
}
