/**
 * Entry of the packaged capture worker (the single executable built by
 * build/scripts/build-capture-worker.mjs). Module order matters: the guard runs first and, when
 * the worker has capture rights, exits unless the files it loads beside itself are root's alone;
 * then the same worker as `node capture-worker/main.js` starts.
 */
import './privileged-guard.js';
import '../main.js';
