/**
 * The sensor window with a remote sensor, end to end in Debian's Chromium: two `tapline serve`
 * processes on loopback, the second registered in the first (the hub) with its token. In the
 * hub's page the window lists both sensors, the remote one connected; a capture started from the
 * remote's card (lo, a filter for the test's own UDP port) runs on the remote sensor: its live
 * figures arrive relayed through the hub, the hub's own Capture panel stays empty, Stop ends it
 * with every datagram counted. Needs root (capture on lo). Screenshots go to tests/artifacts/.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ARTIFACTS, browserCaptureSkipReason, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import type { PageGlobals } from './page-globals.js';
import { startServe, type ServeProcess } from './serve-process.js';

const DATAGRAMS = 5;
const REMOTE = 'tl-uifeat-remote';

const token = async (s: ServeProcess): Promise<string> => (await readFile(join(dirname(s.storeDir), 'token'), 'utf8')).trim();

test('sensor window: a capture started on a remote sensor from the hub\'s page runs there, shows live, stops', { timeout: 180_000 }, async (t) => {
  const why = browserCaptureSkipReason();
  if (why) {
    t.skip(why);
    return;
  }
  const a = await startServe();
  const b = await startServe();
  if (!a.ok || !b.ok) {
    if (a.ok) await a.serve.stop();
    if (b.ok) await b.serve.stop();
    t.skip(`serve did not start: ${!a.ok ? a.skip : ''} ${!b.ok ? b.skip : ''}`);
    return;
  }
  const hub = a.serve;
  const remote = b.serve;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  let page: Page | null = null;
  const listener: Socket = createSocket('udp4');
  const pageErrors: string[] = [];
  try {
    const added = await fetch(`${hub.origin}/api/sensors`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await token(hub)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: REMOTE, url: remote.origin, token: await token(remote) }),
    });
    assert.equal(added.status, 201, await added.text());
    await new Promise<void>((r) => listener.bind(0, '127.0.0.1', () => r()));
    const port = listener.address().port;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(hub.loginUrl);
    await page.waitForSelector('.conn-ok');

    await page.locator('#sensors-button').click();
    const win = page.getByRole('dialog', { name: 'Sensors' });
    await win.waitFor();
    const card = win.locator(`.sensor-card[data-sensor="${REMOTE}"]`);
    await win.locator(`.sensor-card[data-sensor="${REMOTE}"][data-status="connected"]`).waitFor({ timeout: 30_000 });
    assert.equal(await win.locator('.sensor-card').count(), 2, 'this store and the remote');

    await card.getByRole('button', { name: 'Capture on this sensor…' }).click();
    await card.locator('select[data-field="iface"] option[value="lo"]').waitFor({ state: 'attached', timeout: 30_000 });
    await card.locator('select[data-field="iface"]').selectOption('lo');
    await card.locator('input[data-field="filter"]').fill(`udp port ${port}`);
    await card.getByRole('button', { name: 'Start capture' }).click();
    await card.locator('.sensor-captures tr[data-state="running"]').waitFor({ timeout: 30_000 });

    const sender = createSocket('udp4');
    for (let i = 0; i < DATAGRAMS; i++) await new Promise<void>((r, j) => sender.send(Buffer.from(`remote sensor ${i}`), port, '127.0.0.1', (e) => (e ? j(e) : r())));
    sender.close();

    // the remote's status events, relayed by the hub, count them in the remote's card
    await page.waitForFunction(
      ([id, n]) => Number((globalThis as unknown as PageGlobals).document.querySelector(`.sensor-card[data-sensor="${id}"] tr[data-state="running"] [data-stat="packets"]`)?.textContent?.replace(/\D/g, '') ?? 0) >= Number(n),
      [REMOTE, DATAGRAMS] as const,
      { timeout: 20_000 },
    );
    assert.equal(await card.locator('[data-field="source"]').textContent(), 'lo');
    const localCard = win.locator('.sensor-card').first();
    assert.equal(await localCard.locator('[data-field="source"]').textContent(), 'no capture running', "the hub's own store captures nothing");
    await shot(page, '33-sensor-window-remote-capture');

    await card.locator('tr[data-state="running"]').getByRole('button', { name: 'Stop' }).click();
    await card.locator('.sensor-captures tr[data-state="stopped"]').waitFor({ timeout: 30_000 });
    assert.equal(Number((await card.locator('tr[data-state="stopped"] [data-stat="packets"]').textContent())?.replace(/\D/g, '')), DATAGRAMS);

    // the hub's Capture panel lists only its own store's captures
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: 'Store' }).click();
    await page.getByRole('heading', { name: 'Live capture' }).waitFor();
    assert.equal(await page.locator('.capture-status').count(), 0);
    assert.deepEqual(pageErrors, []);
  } catch (e) {
    if (page) await shot(page, 'failure-sensor-window-remote').catch(() => undefined);
    throw e;
  } finally {
    listener.close();
    await browser?.close();
    await hub.stop();
    await remote.stop();
  }
});
