import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { parseLog } from '../../../common/logs/parse-log.js';
import { EventExporter } from '../../../node/logs/export/event-exporter.js';
import type { SyslogOutput } from '../../../node/logs/export/syslog-output.js';

function sink(): { out: SyslogOutput; sent: string[] } {
  const sent: string[] = [];
  return { out: { send: (m: string) => sent.push(m), close: async () => undefined } as unknown as SyslogOutput, sent };
}

const notice: TaplineEvent = { kind: 'notice', id: 'n1', sensor: 's', ts: '1800000000.000000000', rank: 0, level: 'warning', message: 'disk | almost = full' };
const line = '<38>Nov 21 10:00:00 web1 sshd[9]: Failed password for root from 203.0.113.7 port 4000 ssh2';
const log = toLogEvent(line, parseLog(line, 1_800_000_000), { id: 'l1', sensor: 's', receivedSec: 1_800_000_000, receivedNsec: 0, transport: 'udp', senderIp: '127.0.0.1', senderPort: 1, captureFlow: null });

describe('event exporter', () => {
  it('exports the default kinds to every output in both formats, not received logs', () => {
    const a = sink();
    const b = sink();
    const x = new EventExporter({ seedOutputs: [a.out], cefOutputs: [b.out], seed: { sensor: 's', domain: 'd' }, cef: { vendor: 'V', product: 'P', version: '1', host: 's' } });
    x.export(notice);
    x.export(log);
    assert.equal(a.sent.length, 1);
    assert.equal(b.sent.length, 1);
    const seedLine = a.sent[0];
    assert.equal(seedLine.replace(/^<\d+>/, '').replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d /, ''), 's.d: {8,0} warning: disk | almost = full {IP} --');
    assert.match(b.sent[0], /CEF:0\|V\|P\|1\|8\|warning: disk \\\| almost = full\|3\|dvhost=s cs1Label=direction cs1=-- start=1800000000000 cn3Label=rank cn3=0$/);
  });
  it('exports received logs (type 7) when asked', () => {
    const a = sink();
    const x = new EventExporter({ seedOutputs: [a.out], cefOutputs: [], kinds: ['log'], seed: { sensor: 's', domain: 'd' }, cef: { vendor: 'V', product: 'P', version: '1', host: 's' } });
    x.export(notice);
    x.export(log);
    assert.equal(a.sent.length, 1);
    const back = parseLog(a.sent[0], 1_800_000_000);
    assert.equal(back.format, 'seed');
    assert.equal(back.fields['seed.evtype'], '7');
    assert.equal(back.endpoints.srcIp, '203.0.113.7');
    assert.equal(back.endpoints.srcPort, 4000);
  });
});
