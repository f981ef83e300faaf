import { strict as assert } from 'node:assert';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LogEvent } from '../../../common/bridge/messages.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { parseLog } from '../../../common/logs/parse-log.js';
import { FlowLogIndex, readFlowLogCounts } from '../../../node/logs/flow-log-index.js';

function log(flowIds: string[], captureFlow: string | null = null): LogEvent {
  const line = '<13>Nov 22 10:00:00 h app: x';
  const e = toLogEvent(line, parseLog(line, 1795000000), { id: 'i', sensor: 's', receivedSec: 1795000000, receivedNsec: 0, transport: captureFlow ? 'capture' : 'udp', senderIp: null, senderPort: null, captureFlow });
  e.flow_ids = flowIds;
  return e;
}

describe('flow → log count index', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('counts each stored log for its correlated flows and the flow it was sniffed from, once each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-logs-idx-'));
    dirs.push(dir);
    const idx = await FlowLogIndex.open(dir);
    await idx.add([log(['a', 'b']), log(['a']), log([]), log(['c'], 'c'), log([], 'd')]);
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((f) => idx.count(f)), [2, 1, 1, 1, 0]);
    // a second writer of the same store (serve and a CLI import) adds to the same file
    const other = await FlowLogIndex.open(dir);
    assert.equal(other.count('a'), 2);
    await other.add([log(['a'])]);
    await idx.add([log(['b'])]);
    const back = await readFlowLogCounts(dir);
    assert.deepEqual(Object.fromEntries(back), { a: 3, b: 2, c: 1, d: 1 });
  });

  it('skips a torn last line and values that are not counts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-logs-idx-'));
    dirs.push(dir);
    const idx = await FlowLogIndex.open(dir);
    await idx.add([log(['a'])]);
    await appendFile(join(dir, 'logs', 'flow-log-counts.ndjson'), '{"x":-1,"y":"2","z":1.5}\n[1]\n{"a":4');
    assert.deepEqual(Object.fromEntries(await readFlowLogCounts(dir)), { a: 1 });
  });
});
