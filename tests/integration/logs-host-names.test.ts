import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LogEventSchema, type DiscoveryEvent, type LogEvent } from '../../common/bridge/messages.js';
import { HostResolver } from '../../node/logs/host-resolver.js';
import { LogIntake } from '../../node/logs/log-intake.js';
import { EventJournal } from '../../node/store/event-journal.js';

/**
 * A DNS server on loopback: A 192.0.2.77 for web1.lab.test, NXDOMAIN for other names, and no
 * answer at all for slow.lab.test (the client's timeout runs out). Prints its port.
 */
const DNS_SERVER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    q, a = s.recvfrom(512)
    if len(q) < 12: continue
    end = q.index(b"\\x00", 12)
    labels, i = [], 12
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    name = ".".join(labels).lower()
    qtype = q[end + 1:end + 3]
    if name == "slow.lab.test": continue
    if name == "web1.lab.test" and qtype == b"\\x00\\x01":
        hdr = q[:2] + b"\\x81\\x80" + q[4:6] + b"\\x00\\x01\\x00\\x00\\x00\\x00"
        ans = b"\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x01\\x2c\\x00\\x04" + bytes([192, 0, 2, 77])
        s.sendto(hdr + q[12:end + 5] + ans, a)
    else:
        rcode = b"\\x81\\x80" if name == "web1.lab.test" else b"\\x81\\x83"
        s.sendto(q[:2] + rcode + q[4:6] + b"\\x00\\x00\\x00\\x00\\x00\\x00" + q[12:end + 5], a)
`;

function hostDiscovery(id: string, host: string, names: string[]): DiscoveryEvent {
  return { kind: 'discovery', id, sensor: 's', ts: '1795000000.000000000', rank: 0, discovery: { type: 'host', what: 'host', host, port: null, peer: null, flow_id: null, fields: { names } } };
}

function dnsDiscovery(id: string, query: string, answers: string[]): DiscoveryEvent {
  return { kind: 'discovery', id, sensor: 's', ts: '1795000001.000000000', rank: 0, discovery: { type: 'service', what: 'dns', host: '10.0.0.53', port: 53, peer: '10.0.0.7', flow_id: null, fields: { query, qtype: 'A', rcode: '0', answers, ttls: answers.map(() => '60') } } };
}

function makeIntake(resolver: HostResolver, stored: LogEvent[], onPersist?: () => void): LogIntake {
  return new LogIntake({
    sensor: 's',
    resolver,
    persist: async (events) => {
      onPersist?.();
      stored.push(...events);
    },
  });
}

async function offer(intake: LogIntake, line: string): Promise<void> {
  intake.offer(new TextEncoder().encode(line), { transport: 'udp', senderIp: '127.0.0.1', senderPort: 9 });
  await intake.flush();
}

describe('host names in logs resolved to addresses', () => {
  let dir: string;
  let dns: ChildProcess;
  let dnsPort = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-logs-names-'));
    dns = spawn('python3', ['-c', DNS_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    dnsPort = await new Promise<number>((resolve, reject) => {
      dns.stdout?.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
      dns.once('exit', (c) => reject(new Error(`DNS server exited with ${c}`)));
    });
  });
  after(async () => {
    dns.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('from the store’s discovery data first (host names and DNS answers), recording the address and how', async () => {
    const journal = await EventJournal.open(join(dir, 'a'));
    await journal.append([hostDiscovery('d1', '10.0.0.7', ['ws-17.corp.example']), dnsDiscovery('d2', 'db1.corp.example', ['10.0.0.20']), hostDiscovery('d3', '10.0.0.8', ['ws-17.corp.example'])]);
    const resolver = new HostResolver({ journal });
    await resolver.load();
    const stored: LogEvent[] = [];
    const intake = makeIntake(resolver, stored);
    await offer(intake, '<134>Nov 22 10:00:00 fw CEF:0|V|P|1|100|Blocked|5|shost=WS-17.corp.example dhost=db1.corp.example dpt=5432');
    await offer(intake, '<38>Nov 22 10:00:00 srv sshd[42]: Failed password for root from unknown.corp.example port 50022 ssh2');
    const [cef, ssh] = stored;
    // the name seen last for an address wins (ws-17 moved from .7 to .8)
    assert.equal(cef.src_ip, '10.0.0.8');
    assert.equal(cef.dst_ip, '10.0.0.20');
    assert.deepEqual(cef.resolved, [
      { side: 'src', name: 'ws-17.corp.example', address: '10.0.0.8', via: 'discovery' },
      { side: 'dst', name: 'db1.corp.example', address: '10.0.0.20', via: 'discovery' },
    ]);
    LogEventSchema.parse(JSON.parse(JSON.stringify(cef)));
    // unknown to discovery and DNS off: left as it was
    assert.equal(ssh.src_ip, null);
    assert.equal(ssh.resolved, undefined);
    assert.equal(resolver.stats.resolved_discovery, 2);
    assert.equal(resolver.stats.dns_lookups, 0);
  });

  it('learns discovery events published live', async () => {
    const resolver = new HostResolver({});
    resolver.learn(hostDiscovery('d4', '192.0.2.40', ['printer.lab']));
    const stored: LogEvent[] = [];
    await offer(makeIntake(resolver, stored), '<13>Nov 22 10:00:00 fw app: action=deny srchost=printer.lab dst=10.9.9.9');
    assert.equal(stored[0].src_ip, '192.0.2.40');
    assert.equal(stored[0].resolved?.[0].via, 'discovery');
  });

  it('by DNS only when enabled, without waiting: the first log is stored unresolved, later ones use the cached answer', async () => {
    const resolver = new HostResolver({});
    resolver.enableDns({ servers: [`127.0.0.1:${dnsPort}`], timeoutMs: 1500 });
    const stored: LogEvent[] = [];
    let inFlightAtWrite = -1;
    const intake = makeIntake(resolver, stored, () => {
      if (inFlightAtWrite < 0) inFlightAtWrite = resolver.lookupsInFlight;
    });
    const line = '<38>Nov 22 10:00:00 srv sshd[42]: Failed password for root from web1.lab.test port 50022 ssh2';
    await offer(intake, line);
    // the event was written while its lookup was still out: intake did not wait for DNS
    assert.equal(inFlightAtWrite, 1);
    assert.equal(stored[0].src_ip, null);
    await resolver.settled();
    await offer(intake, line);
    assert.equal(stored[1].src_ip, '192.0.2.77');
    assert.deepEqual(stored[1].resolved, [{ side: 'src', name: 'web1.lab.test', address: '192.0.2.77', via: 'dns' }]);
    assert.equal(resolver.stats.resolved_dns, 1);
    assert.equal(resolver.stats.dns_lookups, 1);
  });

  it('a name with no answer (NXDOMAIN) or no reply (timeout) is a counted failure, cached, not retried per log', async () => {
    const resolver = new HostResolver({});
    resolver.enableDns({ servers: [`127.0.0.1:${dnsPort}`], timeoutMs: 500 });
    const stored: LogEvent[] = [];
    const intake = makeIntake(resolver, stored);
    await offer(intake, '<13>Nov 22 10:00:00 fw app: action=deny srchost=nosuch.lab.test dsthost=slow.lab.test');
    await resolver.settled();
    assert.equal(resolver.stats.dns_failures, 2);
    await offer(intake, '<13>Nov 22 10:00:00 fw app: action=deny srchost=nosuch.lab.test dsthost=slow.lab.test');
    assert.equal(resolver.stats.dns_lookups, 2);
    assert.equal(stored.length, 2);
    for (const e of stored) assert.equal(e.resolved, undefined);
  });

  it('bounds lookups in flight: names beyond the bound are skipped and counted', async () => {
    const resolver = new HostResolver({});
    resolver.enableDns({ servers: [`127.0.0.1:${dnsPort}`], timeoutMs: 300, maxInFlight: 2 });
    const stored: LogEvent[] = [];
    const intake = makeIntake(resolver, stored);
    for (let i = 0; i < 5; i++) intake.offer(new TextEncoder().encode(`<13>Nov 22 10:00:00 fw app: srchost=h${i}.slow.lab.test`), { transport: 'udp', senderIp: '127.0.0.1', senderPort: 9 });
    await intake.flush();
    assert.equal(stored.length, 5);
    assert.equal(resolver.stats.dns_lookups, 2);
    assert.equal(resolver.stats.dns_skipped, 3);
    await resolver.settled();
  });
});
