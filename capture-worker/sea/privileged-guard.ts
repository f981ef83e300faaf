/**
 * Evaluated first by the packaged worker's entry (sea/main.ts): a worker with capture rights
 * exits before anything else loads when the files beside it are not root's alone.
 */
import { runningPrivileged, untrustedLayoutProblems } from './trusted-layout-check.js';

if (runningPrivileged()) {
  const problems = untrustedLayoutProblems();
  if (problems.length > 0) {
    process.stderr.write(
      `capture-worker: refusing to run with capture privileges from an unsafe folder:\n${problems.map((p) => `  ${p}`).join('\n')}\n` +
        'capture-worker: the worker folder and its files must be owned by root and writable by root only (docs/CAPTURE.md, "Packaged worker")\n',
    );
    process.exit(78);
  }
}
