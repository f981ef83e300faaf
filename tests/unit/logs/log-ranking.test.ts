import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { parseLog } from '../../../common/logs/parse-log.js';
import { rankEvent } from '../../../common/ranking/event-ranking.js';
import { Ranker } from '../../../common/ranking/ranker.js';

function logEvent(line: string) {
  return toLogEvent(line, parseLog(line, 1_800_000_000), { id: 'l1', sensor: 's', receivedSec: 1_800_000_000, receivedNsec: 0, transport: 'udp', senderIp: '127.0.0.1', senderPort: 1, captureFlow: null });
}

describe('log events are ranked and classified like other events', () => {
  it('a threat list on an address the log names raises its rank', () => {
    const r = new Ranker([], [{ id: 't', name: 'bad', rank: 5, entries: ['203.0.113.0/24'], enabled: true }]);
    const { event } = rankEvent(r, logEvent('<38>Nov 21 10:00:00 web1 sshd[9]: Failed password for root from 203.0.113.7 port 4000 ssh2'), true);
    assert.equal(event.rank, 5);
    const { event: other } = rankEvent(r, logEvent('<38>Nov 21 10:00:00 web1 sshd[9]: Failed password for root from 198.51.100.1 port 4000 ssh2'), true);
    assert.equal(other.rank, 0);
  });
  it('a class limited to kind "log" matches its message and emits a class-match event', () => {
    const r = new Ranker([{ id: 'c', name: 'ssh brute force', match: { kind: 'log', message_contains: 'failed password' }, rank_delta: 2, enabled: true }]);
    const { event, derived } = rankEvent(r, logEvent('<38>Nov 21 10:00:00 web1 sshd[9]: Failed password for root from 203.0.113.7 port 4000 ssh2'), true);
    assert.equal(event.rank, 2);
    assert.deepEqual(event.classes, ['ssh brute force']);
    assert.ok(derived.some((d) => d.kind === 'class-match'));
  });
});
