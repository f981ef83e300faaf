import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { isHostName, namedHostNames } from '../../../common/logs/host-names.js';
import { parseLog } from '../../../common/logs/parse-log.js';

function names(line: string): { src: string | null; dst: string | null } {
  const e = toLogEvent(line, parseLog(line, 1795000000), { id: 'x', sensor: 's', receivedSec: 1795000000, receivedNsec: 0, transport: 'udp', senderIp: null, senderPort: null, captureFlow: null });
  return namedHostNames(e);
}

describe('host names named in logs (for resolution)', () => {
  it('accepts DNS host names and refuses addresses, numbers and junk', () => {
    for (const n of ['web1', 'web1.lab.example', 'WEB-1.Example.COM.', 'a_b.example', 'x1']) assert.ok(isHostName(n), n);
    for (const n of ['10.0.0.1', '::1', '1234', '', '-a.example', 'a..b', 'a b', 'a'.repeat(64), `${'a.'.repeat(127)}aa`, 'user@host']) assert.ok(!isHostName(n), n);
  });

  it('CEF shost/dhost (and long names) when src/dst carry no address', () => {
    assert.deepEqual(names('<134>Nov 22 10:00:00 fw CEF:0|V|P|1|100|Blocked|5|shost=WS-17.corp.example dhost=db1.corp.example dpt=5432'), { src: 'ws-17.corp.example', dst: 'db1.corp.example' });
    assert.deepEqual(names('<134>Nov 22 10:00:00 fw CEF:0|V|P|1|100|Blocked|5|sourceHostName=ws-17 destinationHostName=db1'), { src: 'ws-17', dst: 'db1' });
    // an address given wins: the name is not looked up for that side
    assert.deepEqual(names('<134>Nov 22 10:00:00 fw CEF:0|V|P|1|100|Blocked|5|src=10.0.0.5 shost=ws-17 dhost=db1'), { src: null, dst: 'db1' });
  });

  it('key=value names and an address key holding a name', () => {
    assert.deepEqual(names('<13>Nov 22 10:00:00 fw app: action=deny srchost=laptop7 dsthost=files.lab'), { src: 'laptop7', dst: 'files.lab' });
    assert.deepEqual(names('<13>Nov 22 10:00:00 fw app: action=deny src=laptop7.lab dst=10.0.0.9'), { src: 'laptop7.lab', dst: null });
  });

  it("sshd's 'from NAME port N' (UseDNS)", () => {
    assert.deepEqual(names('<38>Nov 22 10:00:00 srv sshd[42]: Failed password for root from gw.lab.example port 50022 ssh2'), { src: 'gw.lab.example', dst: null });
    assert.deepEqual(names('<38>Nov 22 10:00:00 srv sshd[42]: Failed password for root from 10.1.1.1 port 50022 ssh2'), { src: null, dst: null });
  });
});
