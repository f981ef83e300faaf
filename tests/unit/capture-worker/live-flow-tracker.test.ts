import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveFlowTracker, type LiveFlowSummary } from '../../../node/capture/live-flow-tracker.js';
import { fixturePackets } from '../../helpers/fixture-capture.js';

function feed(t: LiveFlowTracker, flows: string[] | null, now: number): void {
  for (const p of fixturePackets()) if (flows === null || flows.includes(p.flow)) t.observe(1, p.frame, p.frame.length, p.frame.length, p.tsSec, p.tsUsec * 1000, now);
}

function brief(f: LiveFlowSummary): string {
  return `${f.state} ${f.proto} ${f.clientIp}:${f.clientPort ?? '-'} > ${f.serverIp}:${f.serverPort ?? '-'} vlan ${f.vlan ?? '-'} pkts ${f.packets}`;
}

describe('live flow summaries', () => {
  it('starts, orients and ends flows; a reused 5-tuple after FIN is a new flow; ARP is not a flow', () => {
    const t = new LiveFlowTracker();
    feed(t, null, 1000);
    const { flows, pending } = t.drain(1000);
    assert.equal(pending, 0);
    assert.deepEqual(flows.map(brief).sort(), [
      'end 6 10.1.0.5:40000 > 10.2.0.9:80 vlan - pkts 3',
      'end 6 10.1.0.5:40000 > 10.2.0.9:80 vlan - pkts 8',
      'start 1 10.1.0.5:- > 8.8.8.8:- vlan - pkts 2',
      'start 17 10.1.0.5:53000 > 10.2.0.53:53 vlan - pkts 2',
      'start 17 10.1.0.5:53001 > 10.2.0.53:53 vlan 42 pkts 1',
      'start 6 2001:db8::5:40001 > 2001:db8::9:443 vlan - pkts 2',
    ]);
    assert.equal(t.activeFlows, 4);
    const web1 = flows.find((f) => f.packets === 8)!;
    assert.equal(web1.tcpFlags & 0x13, 0x13, 'SYN, ACK and FIN seen');
    assert.deepEqual(web1.firstTs, { sec: 1_700_000_000, nsec: 1_000_000 });
  });

  it('sends updates only for flows with new packets, and ends idle flows', () => {
    const t = new LiveFlowTracker(100, 60);
    feed(t, ['dns', 'icmp'], 1000);
    assert.equal(t.drain(1000).flows.length, 2);
    assert.equal(t.drain(1001).flows.length, 0, 'nothing new, nothing sent');
    feed(t, ['dns'], 1010);
    assert.deepEqual(t.drain(1010).flows.map((f) => `${f.state} ${f.proto} ${f.packets}`), ['update 17 4']);
    assert.deepEqual(t.drain(1065).flows.map((f) => `${f.state} ${f.proto}`), ['end 1'], 'ICMP idle since 1000');
    assert.deepEqual(t.drain(1070).flows.map((f) => `${f.state} ${f.proto}`), ['end 17']);
    assert.equal(t.activeFlows, 0);
  });

  it('stays bounded: flows beyond the limit are counted, batches are capped', () => {
    const t = new LiveFlowTracker(2);
    feed(t, ['dns', 'icmp', 'v6'], 1000);
    assert.equal(t.activeFlows, 2);
    assert.equal(t.untrackedPackets, 2);
    const b = t.drain(1000, 1);
    assert.deepEqual([b.flows.length, b.pending], [1, 1]);
    assert.equal(t.drain(1000, 1).flows.length, 1);
  });
});
