/**
 * The Real-Time detail pane and the sensor connection window end to end, against `tapline serve`
 * in Debian's Chromium. A corpus capture imported through the UI becomes a Real-Time flow row;
 * a click opens the pane with the flow's every field from the store (Community ID, nanosecond
 * times) and its forensic actions (Follow stream shows the HTTP request); Esc closes the pane,
 * Enter opens it again. The toolbar's Sensors button opens the window: this store, connected,
 * with its store size; with root, a capture on lo started from the Store view shows there live
 * (source, packet count, drops by kind). Screenshots go to tests/artifacts/.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { capturePath } from '../helpers/corpus.js';
import { ARTIFACTS, browserCorpusSkipReason, captureOnLoAndSend, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import type { PageGlobals } from './page-globals.js';
import { serveForTest } from './serve-process.js';

/** The zeek capture's one flow: 141.142.228.5:59856 → 192.150.187.43:80 (tshark's values). */
const HTTP_GET = 'zeek__http_get.pcap';
const SERVER = '192.150.187.43';
const COMMUNITY_ID = '1:yvyB8h+3dnggTZW0UEITWCst97w=';
const FIRST_TS = '1362692526.869344000';
const DATAGRAMS = 3;

test('Real-Time detail pane (click, Enter, Esc; every field; follow) and the sensor window (live capture figures)', { timeout: 180_000 }, async (t) => {
  const serve = await serveForTest(t, browserCorpusSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  let page: Page | null = null;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1600, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');

    await page.setInputFiles('#import-input', capturePath(HTTP_GET));
    await page.waitForSelector('.import-done');
    await page.getByRole('tab', { name: 'Real-Time' }).click();
    await page.getByRole('button', { name: 'Enable Flow Events' }).click();
    const row = page.locator('.rt-flow').filter({ hasText: SERVER }).first();
    await row.waitFor();

    // ---- a click selects the row and opens the pane with the flow as the store holds it ----
    await row.locator('[data-col=proto]').click();
    const pane = page.getByRole('complementary', { name: 'Row details' });
    await pane.waitFor();
    const flowBlock = pane.locator('.rt-detail-record[data-flow-id]').first();
    await flowBlock.waitFor({ timeout: 20_000 });
    assert.equal((await flowBlock.locator('[data-path="community_id"] dd').textContent())?.trim(), COMMUNITY_ID);
    assert.match((await flowBlock.locator('[data-path="first_ts"] dd').textContent()) ?? '', new RegExp(`epoch ${FIRST_TS.replace('.', '\\.')}`));
    assert.match((await flowBlock.locator('[data-path="proto"] dd').textContent()) ?? '', /tcp \(6\)/);
    // the row summary's times are the records' exact ones
    assert.match((await pane.getByLabel('Row summary').textContent()) ?? '', new RegExp(`epoch ${FIRST_TS.replace('.', '\\.')}`));
    await shot(page, '30-realtime-detail');

    // ---- forensic action from the pane: Follow stream shows the HTTP request ----
    await flowBlock.getByRole('button', { name: 'Follow stream' }).click();
    const follow = page.getByRole('dialog', { name: /Follow stream/ });
    await follow.locator('.follow-block.dir-0').first().waitFor({ timeout: 30_000 });
    assert.match((await follow.locator('.follow-block.dir-0').first().textContent()) ?? '', /^GET \/\S* HTTP\/1\.1/);
    await follow.getByRole('button', { name: 'Close' }).click();
    await follow.waitFor({ state: 'detached' });

    // ---- keyboard: Esc closes the pane, Enter opens it on the selected row ----
    const grid = page.getByRole('grid', { name: 'Real-time events' });
    await grid.focus();
    await page.keyboard.press('Escape');
    await pane.waitFor({ state: 'detached' });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await pane.locator('.rt-detail-record[data-flow-id]').first().waitFor();
    assert.equal(await row.getAttribute('aria-selected'), 'true');

    // ---- the sensor window from the toolbar ----
    await page.locator('#sensors-button').click();
    const win = page.getByRole('dialog', { name: 'Sensors' });
    await win.waitFor();
    const card = win.locator('.sensor-card').first();
    assert.equal(await card.getAttribute('data-status'), 'connected');
    await card.locator('[data-field="store"]').filter({ hasText: /\d/ }).waitFor();
    assert.match((await card.locator('[data-field="uptime"]').textContent()) ?? '', /\d+ (s|min)/);
    await shot(page, '31-sensor-window');

    if (process.getuid?.() === 0) {
      // a capture on lo (the test's own UDP port) shows in the window live
      const listener = createSocket('udp4');
      await new Promise<void>((r) => listener.bind(0, '127.0.0.1', () => r()));
      const port = listener.address().port;
      try {
        await page.keyboard.press('Escape');
        await win.waitFor({ state: 'detached' });
        await page.getByRole('tab', { name: 'Store' }).click();
        await captureOnLoAndSend(page, port, DATAGRAMS, 'sensor window');

        await page.locator('#sensors-button').click();
        await win.waitFor();
        assert.equal(await card.locator('[data-field="source"]').textContent(), 'lo');
        await page.waitForFunction(
          (n) => Number((globalThis as unknown as PageGlobals).document.querySelector('.sensor-captures tr[data-state="running"] [data-stat="packets"]')?.textContent?.replace(/\D/g, '') ?? 0) >= n,
          DATAGRAMS,
          { timeout: 15_000 },
        );
        assert.match((await card.locator('[data-field="drops"]').textContent()) ?? '', /kernel \d+ · interface \d+ · hand-off \d+ · store \d+/);
        assert.match((await card.locator('[data-field="pps"]').textContent()) ?? '', /pkt\/s/);
        await shot(page, '32-sensor-window-capture');
        await page.keyboard.press('Escape');
        await page.locator('.capture-status[data-state="running"]').getByRole('button', { name: 'Stop' }).click();
        await page.waitForSelector('.capture-status[data-state="stopped"]', { timeout: 30_000 });
        await page.locator('#sensors-button').click();
        await win.locator('.sensor-captures tr[data-state="stopped"]').waitFor();
        assert.equal(await card.locator('[data-field="source"]').textContent(), 'no capture running');
      } finally {
        listener.close();
      }
    } else t.diagnostic('live capture part skipped: capture on lo needs root');

    assert.deepEqual(cspViolations, [], 'the page runs under its CSP without violations');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } catch (e) {
    if (page) await shot(page, 'failure-realtime-detail').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await serve.stop();
  }
});

/** A UDP port free right now on loopback (for serve's syslog receiver). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const CEF_LINE = '<134>1 2026-11-22T04:30:00.123456Z fw1 firewall - - - CEF:0|Acme|FW|1.0|100|Blocked connection|5|src=10.1.2.3 spt=40000 dst=10.9.8.7 dpt=22 proto=TCP act=blocked';

test('an event row (a syslog message received live): the pane lists its message and parsed fields; arrows move the selection and the pane follows', { timeout: 180_000 }, async (t) => {
  const syslogPort = await freeUdpPort();
  const serve = await serveForTest(t, browserCorpusSkipReason(), ['--syslog', `udp://127.0.0.1:${syslogPort}`]);
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  let page: Page | null = null;
  const pageErrors: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1600, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');
    await page.setInputFiles('#import-input', capturePath(HTTP_GET));
    await page.waitForSelector('.import-done');
    await page.getByRole('tab', { name: 'Real-Time' }).click();
    await page.getByRole('button', { name: 'Enable Flow Events' }).click();
    await page.locator('.rt-flow').first().waitFor();

    const sender = createSocket('udp4');
    await new Promise<void>((r, j) => sender.send(Buffer.from(CEF_LINE), syslogPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    sender.close();
    const logRow = page.locator('.rt-event').filter({ hasText: 'Blocked connection' }).first();
    await logRow.waitFor({ timeout: 20_000 });
    // newest on top: the log row, then the flow row
    await logRow.locator('[data-col=client]').click();
    const pane = page.getByRole('complementary', { name: 'Row details' });
    const events = pane.getByRole('region', { name: 'Events of this row' });
    const record = events.locator('.rt-detail-record[data-event-kind="log"]').first();
    await record.waitFor({ timeout: 20_000 });
    assert.match((await record.locator('summary').textContent()) ?? '', /info fw1 firewall: Blocked connection/);
    const field = async (path: string) => (await record.locator(`[data-path="${path}"] dd`).textContent())?.trim();
    assert.equal(await field('fields.act'), 'blocked');
    assert.equal(await field('fields.cef.vendor'), 'Acme');
    assert.equal(await field('format'), 'cef');
    assert.equal(await field('src_ip'), '10.1.2.3');
    assert.equal(await field('dst_port'), '22');
    assert.equal(await field('raw'), CEF_LINE);
    assert.match((await field('event_ts')) ?? '', /2026-11-22 04:30:00\.123456000/);
    await shot(page, '34-realtime-detail-log');

    // ArrowDown moves to the flow row below; the pane follows the selection
    await page.keyboard.press('ArrowDown');
    await pane.locator('.rt-detail-record[data-flow-id]').first().waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.rt-flow').first().getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowUp');
    await events.locator('.rt-detail-record[data-event-kind="log"]').first().waitFor({ timeout: 20_000 });
    assert.deepEqual(pageErrors, []);
  } catch (e) {
    if (page) await shot(page, 'failure-realtime-detail-log').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await serve.stop();
  }
});
