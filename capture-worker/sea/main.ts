/**
 * Entry of the packaged capture worker (the single executable built by
 * build/scripts/build-capture-worker.mjs). The guard runs first (module order) and, when the
 * worker has capture rights, exits unless the files it loads beside itself are root's alone.
 * Started by pkexec (root), the worker runs itself again as the invoking user with only the
 * capture capabilities (pkexec-user-drop.ts); otherwise the same worker as
 * `node capture-worker/main.js` starts here, loading the native capture addon from its folder.
 */
import './privileged-guard.js';
import { setPackagedNativeDir } from '../../node/native/native-addon.js';
import { packagedWorkerDir } from './packaged-layout.js';
import { runAsPkexecInvoker } from './pkexec-user-drop.js';

// Tapline's own addons (the native capture thread) sit beside the executable: no node_modules here
setPackagedNativeDir(packagedWorkerDir());
if (!runAsPkexecInvoker()) void import('../main.js');
