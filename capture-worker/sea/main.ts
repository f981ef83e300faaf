/**
 * Entry of the packaged capture worker (the single executable built by
 * build/scripts/build-capture-worker.mjs). The guard runs first (module order) and, when the
 * worker has capture rights, exits unless the files it loads beside itself are root's alone.
 * Started by pkexec (root), the worker runs itself again as the invoking user with only the
 * capture capabilities (pkexec-user-drop.ts); otherwise the same worker as
 * `node capture-worker/main.js` starts here.
 */
import './privileged-guard.js';
import { runAsPkexecInvoker } from './pkexec-user-drop.js';

if (!runAsPkexecInvoker()) void import('../main.js');
