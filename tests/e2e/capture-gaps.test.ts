/**
 * Capture gaps in the sensor window, end to end in Debian's Chromium against `tapline serve`:
 * the live store writer records two gaps in the served store (as a source does when its ssh feed
 * drops); this store's card lists them newest first with their times (UTC here), length and
 * reason (the browser's zone is UTC and the setting is "local"), and says packets lost are not known; a gap recorded while the window is open appears
 * on Refresh. In the Historical view, the events-over-time chart shades the gaps in its span.
 * Screenshots in tests/artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { ethernet, ipv4, udp } from '../helpers/packet-builders.js';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { openLiveWriter } from '../../node/store/live/index.js';
import { ARTIFACTS, browserSkipReason, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import { serveForTest } from './serve-process.js';

async function recordGaps(storeDir: string, gaps: { from: number; to: number; reason: string }[]): Promise<void> {
  const w = await openLiveWriter(storeDir);
  for (const g of gaps) w.gap({ from: { sec: Math.floor(g.from), nsec: Math.round((g.from % 1) * 1e9) }, to: { sec: Math.floor(g.to), nsec: Math.round((g.to % 1) * 1e9) }, reason: g.reason });
  await w.close();
}

test('sensor window: this store\'s capture gaps, newest first, with times, length and reason; Refresh shows a new one', { timeout: 120_000 }, async (t) => {
  const serve = await serveForTest(t, browserSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  const pageErrors: string[] = [];
  try {
    await recordGaps(serve.storeDir, [
      { from: 1_700_000_010.5, to: 1_700_000_012, reason: 'ssh feed lost: connection reset' },
      { from: 1_700_000_020, to: 1_700_000_050.25, reason: 'remote tcpdump restarted' },
    ]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');

    await page.locator('#sensors-button').click();
    const win = page.getByRole('dialog', { name: 'Sensors' });
    await win.waitFor();
    const table = win.getByRole('table', { name: 'Capture gaps' });
    await table.waitFor({ timeout: 15_000 });
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await rows.locator('[data-field="gap-reason"]').allTextContents(), ['remote tcpdump restarted', 'ssh feed lost: connection reset'], 'newest first');
    const first = await rows.nth(0).locator('td').allTextContents();
    assert.match(first[0], /^2023-11-14 22:13:40\.000 /);
    assert.match(first[1], /^2023-11-14 22:14:10\.250 /);
    assert.equal(first[2], '30 s');
    assert.equal(first[4], 'not known');
    assert.match((await rows.nth(1).locator('td').allTextContents())[2], /^1\.5 s$/);
    assert.match((await win.locator('[data-field="gap-count"]').textContent()) ?? '', /2 recorded · 32 s without capture/);
    await shot(page, 'capture-gaps-01-sensor-window');

    await recordGaps(serve.storeDir, [{ from: 1_700_000_100, to: 1_700_000_101, reason: 'pcap-over-ip feed closed' }]);
    await win.getByRole('button', { name: 'Refresh sensors' }).click();
    await table.locator('tbody tr[data-gap-from="1700000100.000000000"]').waitFor({ timeout: 15_000 });
    assert.equal(await rows.count(), 3);
    assert.equal(await rows.nth(0).locator('[data-field="gap-reason"]').textContent(), 'pcap-over-ip feed closed');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await serve.stop();
  }
});

/** Two UDP flows 100 s apart (their flow events span the chart). */
async function writeTwoFlows(path: string): Promise<void> {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  for (const [sec, sport] of [
    [1_700_000_000, 40000],
    [1_700_000_100, 40001],
  ] as const) {
    const frame = ethernet(0x0800, ipv4({ src: [10, 5, 0, 1], dst: [10, 5, 0, 2], proto: 17, payload: udp(sport, 53, [1, 2, 3, 4]) }));
    const h = new Uint8Array(16);
    writePcapRecordHeader(h, 0, sec, 0, frame.length, frame.length);
    parts.push(h, frame);
  }
  await writeFile(path, Buffer.concat(parts));
}

test('Historical: the events-over-time chart shades the capture gaps in its span', { timeout: 120_000 }, async (t) => {
  const serve = await serveForTest(t, browserSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'tl-cap-gaps-e2e-'));
  let browser: Browser | null = null;
  const pageErrors: string[] = [];
  try {
    const capture = join(dir, 'two-flows.pcap');
    await writeTwoFlows(capture);
    await recordGaps(serve.storeDir, [
      { from: 1_700_000_010.5, to: 1_700_000_012, reason: 'ssh feed lost' },
      { from: 1_700_000_020, to: 1_700_000_050, reason: 'remote tcpdump restarted' },
      { from: 1_700_009_000, to: 1_700_009_001, reason: 'outside the chart' },
    ]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');
    await page.setInputFiles('#import-input', capture);
    await page.waitForSelector('.import-done', { timeout: 60_000 });
    await page.getByRole('tab', { name: 'Historical' }).click();
    await page.locator('#hist-since').fill('');
    await page.locator('#hist-ip').fill('10.5.0.1');
    await page.getByRole('search', { name: 'Search Events or Flows' }).getByRole('button', { name: 'Search' }).click();
    await page.locator('[data-chart=time] .recharts-surface').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-chart=time] [data-field="chart-gaps"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('[data-chart=time] [data-field="chart-gaps"]').textContent(), '; shaded: 2 capture gaps (nothing was captured)');
    assert.equal(await page.locator('[data-chart=time] .chart-gap').count(), 2, 'two shaded areas');
    await shot(page, 'capture-gaps-02-historical-chart');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
