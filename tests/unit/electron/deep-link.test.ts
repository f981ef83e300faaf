/** tapline:// deep links: valid SIEM links open a flow; hostile or malformed ones are refused with a reason. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SliceTargetSchema } from '../../../common/bridge/messages.js';
import { deepLinkFor, findDeepLink, MAX_DEEP_LINK_LENGTH, parseDeepLink, pcapUrlFor } from '../../../electron/main/lib/deep-link.js';

function ok(link: string) {
  const r = parseDeepLink(link);
  assert.ok(r.ok, `${link} should be accepted: ${r.ok ? '' : r.error}`);
  return r.target;
}

function refused(link: string, why: RegExp): void {
  const r = parseDeepLink(link);
  assert.equal(r.ok, false, `${link.slice(0, 120)} should be refused`);
  if (!r.ok) {
    assert.match(r.error, /^tapline link refused: /);
    assert.match(r.error, why);
  }
}

describe('valid links', () => {
  test('the CapMe-style tuple with a time window', () => {
    assert.deepEqual(ok('tapline://flow?sip=10.1.0.5&spt=40000&dip=10.2.0.9&dpt=80&stime=1700000000&etime=1700000060'), {
      sip: '10.1.0.5',
      spt: 40000,
      dip: '10.2.0.9',
      dpt: 80,
      stime: '1700000000.000000000',
      etime: '1700000060.000000000',
    });
  });

  test('ports and times are optional; a trailing slash and upper-case host are fine', () => {
    assert.deepEqual(ok('tapline://FLOW/?sip=10.1.0.5&dip=10.2.0.9'), { sip: '10.1.0.5', dip: '10.2.0.9' });
  });

  test('IPv6, ISO times (including a + zone that arrived unencoded), proto and sensor', () => {
    const t = ok('tapline://flow?sip=2001:db8::5&dip=2001:db8::9&proto=tcp&stime=2023-11-14T22:13:20+01:00&etime=2023-11-14T21:14:00Z&sensor=tap-1');
    assert.deepEqual(t, {
      sip: '2001:db8::5',
      dip: '2001:db8::9',
      proto: 6,
      stime: '1699996400.000000000',
      etime: '1699996440.000000000',
      sensor: 'tap-1',
    });
  });

  test('a flow id link', () => {
    assert.deepEqual(ok('tapline://flow?id=0123456789ab-42'), { flow: '0123456789ab-42' });
    assert.deepEqual(ok('tapline://flow?id=0123456789ab-42&sensor=box'), { flow: '0123456789ab-42', sensor: 'box' });
  });

  test('port edges 0 and 65535; fractional epoch seconds', () => {
    const t = ok('tapline://flow?sip=1.2.3.4&spt=0&dip=5.6.7.8&dpt=65535&stime=1700000000.5&etime=1700000000.5');
    assert.equal(t && 'sip' in t ? t.dpt : null, 65535);
    assert.equal(t && 'sip' in t ? t.stime : null, '1700000000.500000000');
  });

  test('every accepted target satisfies the shared schema, and deepLinkFor round-trips it', () => {
    for (const link of [
      'tapline://flow?sip=10.1.0.5&spt=40000&dip=10.2.0.9&dpt=80&stime=1700000000&etime=1700000060',
      'tapline://flow?sip=2001:db8::5&dip=2001:db8::9&proto=17&sensor=s1',
      'tapline://flow?id=0123456789ab-7',
    ]) {
      const t = ok(link);
      assert.ok(SliceTargetSchema.safeParse(t).success);
      assert.deepEqual(ok(deepLinkFor(t)), t);
    }
  });
});

describe('hostile and malformed links', () => {
  test('wrong scheme or action', () => {
    refused('http://flow?sip=1.2.3.4&dip=5.6.7.8', /scheme/);
    refused('javascript:alert(1)//tapline://flow', /scheme/);
    refused('file:///etc/passwd', /scheme/);
    refused('tapline://pcap?sip=1.2.3.4&dip=5.6.7.8', /unknown action/);
    refused('tapline://flow.evil.example?sip=1.2.3.4&dip=5.6.7.8', /unknown action/);
    refused('tapline:flow?sip=1.2.3.4&dip=5.6.7.8', /unknown action/);
    refused('tapline://user:pw@flow?sip=1.2.3.4&dip=5.6.7.8', /credentials/);
    refused('tapline://flow:8080?sip=1.2.3.4&dip=5.6.7.8', /port/);
    refused('tapline://flow/../../etc?sip=1.2.3.4&dip=5.6.7.8', /path|action/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8#x', /fragment/);
    refused('not a url', /not a URL/);
  });

  test('bad addresses', () => {
    for (const ip of ['256.1.1.1', '1.2.3', '01.2.3.4', '10.0.0.0/8', 'fe80::1%eth0', '[::1]', 'example.com', '', ' 1.2.3.4', '1.2.3.4 ']) {
      refused(`tapline://flow?sip=${encodeURIComponent(ip)}&dip=5.6.7.8`, /sip .* is not an IP address/);
    }
    refused('tapline://flow?sip=1.2.3.4', /sip and dip are required/);
    refused('tapline://flow?dip=1.2.3.4', /sip and dip are required/);
  });

  test('bad ports', () => {
    refused('tapline://flow?sip=1.2.3.4&spt=65536&dip=5.6.7.8', /spt 65536 is above 65535/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&dpt=99999', /above 65535/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&dpt=-1', /not a port/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&dpt=80.5', /not a port/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&dpt=0x50', /not a port/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&dpt=123456', /not a port/);
  });

  test('bad times and windows', () => {
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&stime=yesterday', /stime .* is not a time/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&etime=2023-13-01', /etime .* is not a time/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&stime=1700000060&etime=1700000000', /stime is after etime/);
  });

  test('script injection and odd characters are refused, never echoed raw', () => {
    const payloads = [
      'tapline://flow?sip=<script>alert(1)</script>&dip=5.6.7.8',
      'tapline://flow?sip=1.2.3.4&dip=5.6.7.8&sensor=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E',
      'tapline://flow?sip=1.2.3.4&dip=5.6.7.8&proto=javascript:alert(1)',
      'tapline://flow?id=%22%3E%3Cscript%3E',
      'tapline://flow?sip=1.2.3.4&dip=5.6.7.8&sensor=..%2F..%2Fetc',
      'tapline://flow?sip=1.2.3.4%00&dip=5.6.7.8',
    ];
    for (const p of payloads) {
      const r = parseDeepLink(p);
      assert.equal(r.ok, false, p);
      if (!r.ok) assert.doesNotMatch(r.error, /[<>\0]/, 'the message quotes input only in a sanitized form');
    }
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8\n--inspect', /control characters/);
  });

  test('unknown or repeated parameters, and mixing a flow id with a tuple', () => {
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&cmd=rm', /unknown parameter "cmd"/);
    refused('tapline://flow?sip=1.2.3.4&dip=5.6.7.8&sip=9.9.9.9', /given twice/);
    refused('tapline://flow?id=0123456789ab-1&sip=1.2.3.4', /cannot be combined/);
    refused('tapline://flow?id=', /not a flow id/);
  });

  test('overlong values and links', () => {
    refused(`tapline://flow?sip=1.2.3.4&dip=5.6.7.8&sensor=${'a'.repeat(65)}`, /longer than 64/);
    refused(`tapline://flow?sip=1.2.3.4&dip=5.6.7.8&x=${'a'.repeat(MAX_DEEP_LINK_LENGTH)}`, new RegExp(`longer than ${MAX_DEEP_LINK_LENGTH}`));
    assert.equal(parseDeepLink(42 as unknown as string).ok, false);
  });
});

describe('finding the link among arguments', () => {
  test('first launch (Linux/Windows) and second-instance argv', () => {
    assert.equal(findDeepLink(['/opt/Tapline/tapline-desktop', '--no-sandbox', 'tapline://flow?id=a-1']), 'tapline://flow?id=a-1');
    assert.equal(findDeepLink(['electron', '/repo', 'TAPLINE://flow?id=a-1']), 'TAPLINE://flow?id=a-1');
    assert.equal(findDeepLink(['electron', '/repo', '--tapline-store=/s']), null);
    assert.equal(findDeepLink(['--x=tapline://flow?id=a-1']), null, 'only a whole argument counts');
  });
});

describe('pcapUrl', () => {
  test('without a local API: the tapline:// link', () => {
    assert.equal(pcapUrlFor({ sip: '10.1.0.5', spt: 40000, dip: '10.2.0.9', dpt: 80 }, null), 'tapline://flow?sip=10.1.0.5&spt=40000&dip=10.2.0.9&dpt=80');
    assert.equal(pcapUrlFor({ flow: 'abc-1' }, null), 'tapline://flow?id=abc-1');
  });

  test('with one: the CapMe URL and the flow pcap route', () => {
    assert.equal(
      pcapUrlFor({ sip: '2001:db8::5', dip: '2001:db8::9', stime: '1700000000', etime: '1700000060' }, 'http://127.0.0.1:7880/'),
      'http://127.0.0.1:7880/pcap?sip=2001%3Adb8%3A%3A5&dip=2001%3Adb8%3A%3A9&stime=1700000000&etime=1700000060',
    );
    assert.equal(pcapUrlFor({ flow: 'abc-1', sensor: 's 1' }, 'http://127.0.0.1:7880'), 'http://127.0.0.1:7880/api/flows/abc-1/pcap?sensor=s+1');
  });
});
