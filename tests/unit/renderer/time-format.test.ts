import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFullTime, formatGridTime, isValidZone, listTimeZones, wallTimeToEpoch, zoneOffset } from '../../../renderer/src/format/time.js';
import { formToSearch, parseTimeInput, withHost, EMPTY_FORM } from '../../../renderer/src/flows/search-form.js';

// 2013-03-07 21:42:06 UTC
const T = 1362692526;

test('grid time is MM/DD HH:MM:SS in the chosen zone', () => {
  assert.equal(formatGridTime(T, 'UTC'), '03/07 21:42:06');
  assert.equal(formatGridTime(T, 'America/New_York'), '03/07 16:42:06');
  assert.equal(formatGridTime(T, 'Asia/Kolkata'), '03/08 03:12:06');
  assert.equal(formatGridTime(T, 'Pacific/Chatham'), '03/08 11:27:06');
  // midnight is 00, never 24
  assert.equal(formatGridTime(Date.UTC(2024, 0, 1, 0, 0, 5) / 1000, 'UTC'), '01/01 00:00:05');
});

test('full time keeps nanoseconds and names the offset', () => {
  assert.equal(formatFullTime(T, 869344000, 'UTC'), '2013-03-07 21:42:06.869344000 +00:00');
  assert.equal(formatFullTime(T, 5, 'Europe/Paris'), '2013-03-07 22:42:06.000000005 +01:00');
  assert.equal(zoneOffset(Date.UTC(2024, 6, 1) , 'America/New_York'), '-04:00');
  assert.equal(formatFullTime(4_400_000_000, 0, 'UTC').slice(0, 19), new Date(4_400_000_000_000).toISOString().slice(0, 19).replace('T', ' '), 'times past 2106 work');
});

test('wall times convert to epoch seconds in a zone, across DST', () => {
  assert.equal(wallTimeToEpoch({ year: 2013, month: 3, day: 7, hour: 21, minute: 42, second: 6 }, 'UTC'), T);
  assert.equal(wallTimeToEpoch({ year: 2013, month: 3, day: 7, hour: 22, minute: 42, second: 6 }, 'Europe/Paris'), T);
  // 2024-03-31 02:30 does not exist in Paris (clocks jump 02:00 → 03:00): read as 03:30 CEST
  assert.equal(wallTimeToEpoch({ year: 2024, month: 3, day: 31, hour: 2, minute: 30, second: 0 }, 'Europe/Paris'), Date.UTC(2024, 2, 31, 1, 30) / 1000);
  // 2024-10-27 02:30 happens twice in Paris: the first (CEST, UTC+2)
  assert.equal(wallTimeToEpoch({ year: 2024, month: 10, day: 27, hour: 2, minute: 30, second: 0 }, 'Europe/Paris'), Date.UTC(2024, 9, 27, 0, 30) / 1000);
});

test('zone list and validation', () => {
  const zones = listTimeZones();
  assert.equal(zones[0], 'UTC');
  assert.ok(zones.includes('Europe/Paris'));
  assert.equal(new Set(zones).size, zones.length);
  assert.ok(isValidZone('local'));
  assert.ok(isValidZone('Asia/Tokyo'));
  assert.equal(isValidZone('Mars/Olympus'), false);
});

test('search times: wall time in the chosen zone, relative, ISO with zone, epoch', () => {
  const now = Date.UTC(2024, 5, 1, 12, 0, 0);
  assert.deepEqual(parseTimeInput('2013-03-07 22:42:06', 'Europe/Paris', now), { value: '1362692526.000000000' });
  assert.deepEqual(parseTimeInput('2013-03-07T21:42:06.5', 'UTC', now), { value: '1362692526.500000000' });
  assert.deepEqual(parseTimeInput('2013-03-07', 'UTC', now), { value: '1362614400.000000000' });
  assert.deepEqual(parseTimeInput('-2h', 'UTC', now), { value: String(now / 1000 - 7200) });
  assert.deepEqual(parseTimeInput('2013-03-07T21:42:06Z', 'Asia/Tokyo', now), { value: '1362692526.000000000' });
  assert.deepEqual(parseTimeInput('2013-03-07T22:42:06+01:00', 'UTC', now), { value: '1362692526.000000000' });
  assert.deepEqual(parseTimeInput('1362692526.869344', 'UTC', now), { value: '1362692526.869344000' });
  assert.ok('error' in parseTimeInput('2013-02-30 10:00', 'UTC', now));
  assert.ok('error' in parseTimeInput('yesterday', 'UTC', now));
});

test('the search form converts to a FlowSearch or says which field is wrong', () => {
  const ok = formToSearch({ ...EMPTY_FORM, host1: '10.0.0.0/8', host2: '2001:db8::1', port: '443', proto: 'TCP', communityId: ' 1:abc ', limit: '500' }, 'UTC', 0);
  assert.deepEqual(ok, { search: { hosts: ['10.0.0.0/8', '2001:db8::1'], port: 443, proto: 6, community_id: '1:abc', limit: 500 } });
  const bad = formToSearch({ ...EMPTY_FORM, host1: '10.0.0.300', port: '70000', proto: 'tcpx', since: 'soon', limit: '0' }, 'UTC', 0);
  assert.ok('errors' in bad);
  assert.deepEqual(Object.keys(bad.errors).sort(), ['host1', 'limit', 'port', 'proto', 'since']);
  const order = formToSearch({ ...EMPTY_FORM, since: '2024-01-02', until: '2024-01-01' }, 'UTC', 0);
  assert.ok('errors' in order && order.errors.until);
  assert.deepEqual(formToSearch({ ...EMPTY_FORM, limit: '' }, 'UTC', 0), { search: { limit: 1000 } });
});

test('filter by an address fills the first free host field', () => {
  const one = withHost(EMPTY_FORM, '10.0.0.1');
  assert.equal(one?.host1, '10.0.0.1');
  const two = one && withHost(one, '10.0.0.2');
  assert.equal(two?.host2, '10.0.0.2');
  assert.equal(two && withHost(two, '10.0.0.3'), null);
  assert.equal(two && withHost(two, '10.0.0.1'), two);
});
