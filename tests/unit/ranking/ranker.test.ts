/**
 * Ranking and classification (common/ranking/): rule priority → rank, address blocks compiled
 * into intervals, threat lists, event classes (every criterion, delta vs set, disabled classes,
 * order independence), and the events classification emits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EventSchema, type EventClass, type FlowRow, type TaplineEvent, type ThreatList } from '../../../common/bridge/messages.js';
import { AddressSet, addressKey, parseBlock } from '../../../common/ranking/address-set.js';
import { eventFacts, rankEvent, rankFlowRow } from '../../../common/ranking/event-ranking.js';
import { CEF_EVENT_TYPES, priorityRank, Ranker, type RankFacts } from '../../../common/ranking/ranker.js';
import { HTTP_V4 } from '../renderer/fixtures.js';

let n = 0;
function cls(match: EventClass['match'], effect: { rank_delta?: number; set_rank?: number }, extra: Partial<EventClass> = {}): EventClass {
  n++;
  return { id: `c${String(n).padStart(3, '0')}`, name: `class ${n}`, match, enabled: true, ...effect, ...extra };
}

function list(entries: string[], rank: number, extra: Partial<ThreatList> = {}): ThreatList {
  n++;
  return { id: `l${n}`, name: `list ${n}`, rank, entries, enabled: true, ...extra };
}

const facts = (f: Partial<RankFacts> = {}): RankFacts => ({
  kind: 'flow',
  sensor: 'lab',
  sid: null,
  priority: null,
  message: null,
  addresses: ['10.1.2.3', '192.0.2.80'],
  ports: [51000, 443],
  ...f,
});

describe('rule priority', () => {
  test('1 → +3, 2 → +2, 3 → +1, 4 and beyond → 0; no or bad priority → 0', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 255].map(priorityRank), [3, 2, 1, 0, 0, 0]);
    assert.deepEqual([null, undefined, 0, -1, 1.5, Number.NaN].map(priorityRank), [0, 0, 0, 0, 0, 0]);
  });

  test('an idle ranker gives the priority rank', () => {
    const r = new Ranker();
    assert.equal(r.idle, true);
    assert.deepEqual(r.rank(facts({ priority: 1 })), { base: 3, rank: 3, labels: [], hits: [] });
    assert.equal(r.rank(facts()).rank, 0);
  });

  test('the CEF types of the emitted events follow the seed list', () => {
    assert.deepEqual(CEF_EVENT_TYPES, { ranking: 10, 'class-match': 11 });
  });
});

describe('addresses and blocks', () => {
  test('IPv4, IPv6 and IPv4-mapped IPv6 addresses', () => {
    assert.equal(addressKey('10.1.2.3'), 0x0a010203);
    assert.equal(addressKey('255.255.255.255'), 0xffffffff);
    assert.equal(addressKey('::ffff:10.1.2.3'), 0x0a010203, 'mapped IPv6 is the IPv4 address');
    assert.equal(addressKey('2001:db8::1'), 0x20010db8000000000000000000000001n);
    for (const bad of ['', '10.1.2', '10.1.2.3.4', '10.01.2.3', '256.1.1.1', '1.2.3.4 ', 'x', '2001:db8:::1', '10.1.2.3/8']) assert.equal(addressKey(bad), null, bad);
  });

  test('CIDR blocks ignore host bits; /0 and full-length prefixes work', () => {
    const b = parseBlock('10.1.2.3/8');
    assert.deepEqual([b?.lo, b?.hi], [0x0a000000, 0x0affffff]);
    assert.deepEqual([parseBlock('0.0.0.0/0')?.lo, parseBlock('0.0.0.0/0')?.hi], [0, 0xffffffff]);
    assert.deepEqual([parseBlock('192.0.2.7/32')?.lo, parseBlock('192.0.2.7')?.hi], [0xc0000207, 0xc0000207]);
    const v6 = parseBlock('2001:db8:bad::/48');
    assert.equal(v6?.lo, 0x20010db80bad00000000000000000000n);
    assert.equal(v6?.hi, 0x20010db80bad_ffff_ffff_ffff_ffff_ffffn);
    const mapped = parseBlock('::ffff:10.0.0.0/104');
    assert.deepEqual([mapped?.lo, mapped?.hi], [0x0a000000, 0x0affffff]);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '2001:db8::/129', '::ffff:10.0.0.0/95', '10.0.0.0/8/8']) assert.equal(parseBlock(bad), null, bad);
  });

  test('a set matches either family; overlapping and adjacent blocks merge', () => {
    const s = new AddressSet(['10.0.0.0/24', '10.0.1.0/24', '10.0.0.128/25', '192.0.2.1', '2001:db8::/32', 'garbage']);
    for (const yes of ['10.0.0.0', '10.0.1.255', '192.0.2.1', '2001:db8:ffff::1', '::ffff:10.0.0.9']) assert.equal(s.has(yes), true, yes);
    for (const no of ['10.0.2.0', '9.255.255.255', '192.0.2.2', '2001:db9::', 'nonsense']) assert.equal(s.has(no), false, no);
    assert.equal(new AddressSet([]).empty, true);
  });

  test('property: set membership equals testing every block (IPv4)', () => {
    const block = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 32 }));
    fc.assert(
      fc.property(fc.array(block, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 40 }), (blocks, probes) => {
        const text = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
        const entries = blocks.map(([a, p]) => `${text(a)}/${p}`);
        const set = new AddressSet(entries);
        for (const p of probes) {
          const naive = blocks.some(([a, prefix]) => {
            const size = 2 ** (32 - prefix);
            return Math.floor(a / size) === Math.floor(p / size);
          });
          if (set.has(text(p)) !== naive) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('event classes', () => {
  test('address (IP or CIDR) and port match either side', () => {
    const byServerBlock = cls({ address: '192.0.2.0/24' }, { rank_delta: 2 });
    const byClient = cls({ address: '10.1.2.3' }, { rank_delta: 1 });
    const byPort = cls({ port: 51000 }, { rank_delta: 1 });
    const other = cls({ address: '198.51.100.0/24' }, { rank_delta: 5 });
    const r = new Ranker([byServerBlock, byClient, byPort, other]);
    const o = r.rank(facts());
    assert.equal(o.rank, 4);
    assert.deepEqual(o.hits.map((h) => h.id), [byServerBlock.id, byClient.id, byPort.id]);
    assert.equal(new Ranker([cls({ address: '2001:db8::/32' }, { rank_delta: 3 })]).rank(facts({ addresses: ['2001:db8::5', '10.0.0.1'] })).rank, 3);
    assert.equal(new Ranker([cls({ port: 80 }, { rank_delta: 3 })]).rank(facts()).rank, 0);
  });

  test('sid, message (case-insensitive), sensor and kind; every criterion must hold', () => {
    const sid = cls({ sid: 2019401 }, { rank_delta: 1 });
    const msg = cls({ message_contains: 'ET SCAN' }, { rank_delta: 1 });
    const sensor = cls({ sensor: 'dmz' }, { rank_delta: 1 });
    const kind = cls({ kind: 'notice' }, { rank_delta: 1 });
    const both = cls({ kind: 'notice', message_contains: 'disk' }, { rank_delta: 1 });
    const r = new Ranker([sid, msg, sensor, kind, both]);
    assert.deepEqual(r.rank(facts({ sid: 2019401 })).hits.map((h) => h.id), [sid.id]);
    assert.deepEqual(r.rank(facts({ message: 'et scan Nmap' })).hits.map((h) => h.id), [msg.id]);
    assert.deepEqual(r.rank(facts({ sensor: 'dmz' })).hits.map((h) => h.id), [sensor.id]);
    assert.deepEqual(r.rank(facts({ kind: 'notice', message: 'store ok' })).hits.map((h) => h.id), [kind.id]);
    assert.deepEqual(r.rank(facts({ kind: 'notice', message: 'Disk full' })).hits.map((h) => h.id), [kind.id, both.id]);
    assert.deepEqual(r.rank(facts({ kind: 'flow', message: 'Disk full' })).hits, []);
    assert.deepEqual(r.rank(facts({ sid: 1 })).hits, []);
  });

  test('delta adds, set replaces the rank so far (highest set wins), then deltas apply', () => {
    const list1 = list(['192.0.2.0/24'], 4);
    const up = cls({ port: 443 }, { rank_delta: 2 });
    const down = cls({ port: 51000 }, { rank_delta: -3 });
    const setLow = cls({ address: '10.1.2.3' }, { set_rank: -5 });
    const setHigher = cls({ address: '10.0.0.0/8' }, { set_rank: -2 });
    assert.deepEqual(new Ranker([up, down], [list1]).rank(facts()), {
      base: 4,
      rank: 3,
      labels: [up.name, down.name].sort(),
      hits: [up, down].map((c) => ({ id: c.id, name: c.name })),
    });
    const o = new Ranker([up, setLow, setHigher], [list1]).rank(facts({ priority: 1 }));
    assert.equal(o.base, 7, 'priority 1 (+3) + list (+4)');
    assert.equal(o.rank, -2 + 2, 'max(set) = -2, then +2');
  });

  test('disabled classes and lists count for nothing', () => {
    const off = cls({ port: 443 }, { rank_delta: 9 }, { enabled: false });
    const offList = list(['0.0.0.0/0'], 9, { enabled: false });
    const r = new Ranker([off], [offList]);
    assert.equal(r.idle, true);
    assert.deepEqual(r.rank(facts()), { base: 0, rank: 0, labels: [], hits: [] });
  });

  test('the result does not depend on the order of classes or lists', () => {
    const classes = [
      cls({ port: 443 }, { rank_delta: 2 }),
      cls({ address: '10.0.0.0/8' }, { set_rank: 1 }),
      cls({ address: '10.1.2.3' }, { set_rank: 4 }, { name: 'Shared' }),
      cls({ port: 51000 }, { rank_delta: -1 }, { name: 'Shared' }),
      cls({ kind: 'flow' }, { rank_delta: 3 }),
    ];
    const lists = [list(['192.0.2.80'], -2), list(['10.0.0.0/8'], 5), list(['10.1.2.3'], 1)];
    const expected = new Ranker(classes, lists).rank(facts({ priority: 2 }));
    assert.deepEqual(expected.labels, [...new Set(expected.labels)].sort(), 'labels sorted, without repeats');
    assert.equal(expected.labels.filter((l) => l === 'Shared').length, 1);
    fc.assert(
      fc.property(fc.shuffledSubarray(classes, { minLength: classes.length }), fc.shuffledSubarray(lists, { minLength: lists.length }), (c, l) => {
        assert.deepEqual(new Ranker(c, l).rank(facts({ priority: 2 })), expected);
      }),
      { numRuns: 60 },
    );
    assert.equal(expected.base, 2 + 5, 'priority 2 (+2) + the highest matching list (+5)');
    assert.equal(expected.rank, 4 + 2 - 1 + 3);
  });

  test('threat lists: a listed address on either side gives the list rank; the highest wins; negative lists lower', () => {
    const bad = list(['192.0.2.0/24', '2001:db8:bad::/48'], 5);
    const benign = list(['10.0.0.0/8'], -3);
    assert.equal(new Ranker([], [bad]).rank(facts()).rank, 5);
    assert.equal(new Ranker([], [bad, benign]).rank(facts()).rank, 5, 'a threat outranks an allow-list');
    assert.equal(new Ranker([], [benign]).rank(facts()).rank, -3);
    assert.equal(new Ranker([], [bad]).rank(facts({ addresses: ['2001:db8:bad::1'] })).rank, 5);
    assert.equal(new Ranker([], [bad]).rank(facts({ addresses: ['198.51.100.1'] })).rank, 0);
    assert.equal(new Ranker([], [bad]).rank(facts({ priority: 1 })).rank, 8, 'priority and list add');
  });

  test('ranks are clamped to −100…100', () => {
    const many = Array.from({ length: 15 }, () => cls({ port: 443 }, { rank_delta: 10 }));
    assert.equal(new Ranker(many).rank(facts()).rank, 100);
    const low = Array.from({ length: 15 }, () => cls({ port: 443 }, { rank_delta: -10 }));
    assert.equal(new Ranker(low).rank(facts()).rank, -100);
  });

  test('a large threat list compiles once and answers many lookups', () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/28`);
    const r = new Ranker([], [list(entries, 3)]);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (r.rank(facts({ addresses: [`10.${(i >> 8) & 255}.${i & 255}.${i & 31}`] })).rank === 3) hits++;
    // probes fall in a listed /24 when (i & 0xffff) < 20,000 (40,000 of them), and in its /28 half the time
    assert.equal(hits, 20_000);
  });
});

describe('events and rows', () => {
  const row: FlowRow = { ...HTTP_V4 };
  const flowEvent: TaplineEvent = { kind: 'flow', id: 'lab:1', sensor: 'lab', ts: '1362692526.869344000', rank: 0, flow: row };

  test('a flow event and its row get the rank and labels; class-match per class and one ranking event follow', () => {
    const server = cls({ address: HTTP_V4.server_ip ?? '' }, { rank_delta: 3 }, { name: 'Known server' });
    const port = cls({ port: 80 }, { rank_delta: 1 }, { name: 'Web' });
    const r = rankEvent(new Ranker([server, port]), flowEvent, true);
    assert.equal(r.event.rank, 4);
    assert.deepEqual(r.event.classes, ['Known server', 'Web']);
    assert.ok(r.event.kind === 'flow');
    if (r.event.kind === 'flow') assert.deepEqual([r.event.flow.rank, r.event.flow.classes], [4, ['Known server', 'Web']]);
    assert.deepEqual(
      r.derived.map((d) => [d.kind, d.id]),
      [
        ['class-match', `lab:1/class/${server.id}`],
        ['class-match', `lab:1/class/${port.id}`],
        ['ranking', 'lab:1/rank'],
      ],
    );
    const [m, , ranking] = r.derived;
    assert.deepEqual(m, { kind: 'class-match', id: `lab:1/class/${server.id}`, sensor: 'lab', ts: flowEvent.ts, rank: 4, event_id: 'lab:1', event_kind: 'flow', class_id: server.id, class_name: 'Known server' });
    assert.deepEqual(ranking, { kind: 'ranking', id: 'lab:1/rank', sensor: 'lab', ts: flowEvent.ts, rank: 4, event_id: 'lab:1', event_kind: 'flow', old_rank: 0, new_rank: 4 });
    for (const e of [r.event, ...r.derived]) EventSchema.parse(e);
  });

  test('no ranking event when the classes leave the rank as it was; nothing without derive', () => {
    const same = cls({ port: 80 }, { set_rank: 0 });
    const r = rankEvent(new Ranker([same]), flowEvent, true);
    assert.deepEqual(r.derived.map((d) => d.kind), ['class-match']);
    assert.deepEqual(rankEvent(new Ranker([same]), flowEvent, false).derived, []);
  });

  test('notices and imports are classified by kind and message; progress and derived events never', () => {
    const notice: TaplineEvent = { kind: 'notice', id: 'n1', sensor: 'lab', ts: '1.0', rank: 0, level: 'warning', message: 'sensor dmz did not answer' };
    const c = cls({ kind: 'notice', message_contains: 'did not answer' }, { rank_delta: -2 });
    const r = rankEvent(new Ranker([c]), notice, true);
    assert.equal(r.event.rank, -2);
    assert.equal(r.derived.length, 2);
    const progress: TaplineEvent = { kind: 'import-progress', id: 'p', sensor: 'lab', ts: '1.0', rank: 0, path: '/a', bytes_read: 1, total_bytes: 2 };
    assert.equal(eventFacts(progress), null);
    assert.deepEqual(rankEvent(new Ranker([cls({ sensor: 'lab' }, { rank_delta: 1 })]), progress, true), { event: progress, derived: [] });
    for (const d of r.derived) assert.equal(eventFacts(d), null, 'a class never matches its own output');
  });

  test('rows are re-ranked: remote ranks and labels are replaced', () => {
    const remote: FlowRow = { ...row, sensor: 'dmz', rank: 9, classes: ['Their class'] };
    assert.deepEqual([rankFlowRow(new Ranker(), remote).rank, rankFlowRow(new Ranker(), remote).classes], [0, []]);
    const mine = cls({ sensor: 'dmz' }, { rank_delta: -1 }, { name: 'Lab sensor' });
    const out = rankFlowRow(new Ranker([mine]), remote);
    assert.deepEqual([out.rank, out.classes], [-1, ['Lab sensor']]);
    assert.equal(rankFlowRow(new Ranker(), row), row, 'an unranked row is returned as is');
  });
});
