/**
 * The packaged worker started by pkexec (root, PKEXEC_UID set) runs itself again as the invoking
 * user with only cap_net_raw,cap_net_admin: when that applies, and the exact setpriv command.
 * (tests/integration/capture-worker-bin.test.ts runs it for real.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pkexecInvoker, setprivArgv } from '../../../capture-worker/sea/pkexec-user-drop.js';

describe('pkexec root worker drops to the invoking user', () => {
  test('only as root with a numeric, non-root PKEXEC_UID, and only once', () => {
    assert.equal(pkexecInvoker({ PKEXEC_UID: '1000' }, 0), 1000);
    assert.equal(pkexecInvoker({ PKEXEC_UID: '1000' }, 1000), null, 'not root: nothing to drop');
    assert.equal(pkexecInvoker({}, 0), null, 'root without pkexec (sudo, a root CLI) stays as it is');
    assert.equal(pkexecInvoker({ PKEXEC_UID: '0' }, 0), null, 'root asked');
    assert.equal(pkexecInvoker({ PKEXEC_UID: '10x' }, 0), null);
    assert.equal(pkexecInvoker({ PKEXEC_UID: '' }, 0), null);
    assert.equal(pkexecInvoker({ PKEXEC_UID: '1000', TAPLINE_WORKER_PKEXEC_DROPPED: '1' }, 0), null, 'the re-run child never re-runs');
  });

  test('setpriv: that uid, gid and groups, the two capabilities as ambient, inheritable and bounding, nothing else', () => {
    assert.deepEqual(setprivArgv(1000, 1001, '/opt/Tapline/resources/capture-worker/tapline-capture-worker'), [
      'setpriv',
      '--reuid=1000',
      '--regid=1001',
      '--init-groups',
      '--inh-caps=-all,+net_raw,+net_admin',
      '--ambient-caps=-all,+net_raw,+net_admin',
      '--bounding-set=-all,+net_raw,+net_admin',
      '--',
      '/opt/Tapline/resources/capture-worker/tapline-capture-worker',
    ]);
  });
});
