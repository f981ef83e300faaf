/**
 * The Capture panel end to end: `tapline serve` on loopback, headless Debian Chromium, log in,
 * Store → Live capture: pick `lo` from the interface list, a BPF filter for the test's own UDP
 * port, Start; send a few datagrams (bounded) to the test's listener; the flow appears in the
 * Flows grid from the live flow events, the panel counts the packets; Stop.
 * Screenshots go to tests/artifacts/. Skips, saying why, without Chromium, the built renderer
 * and CLI, or capture privileges (root).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { ARTIFACTS, browserCaptureSkipReason, captureOnLoAndSend, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import type { PageGlobals } from './page-globals.js';
import { serveForTest } from './serve-process.js';

const DATAGRAMS = 4;

test('Capture panel: start a capture on lo, the datagrams\' flow shows in the grid, stop', { timeout: 120_000 }, async (t) => {
  const serve = await serveForTest(t, browserCaptureSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  const listener: Socket = createSocket('udp4');
  const pageErrors: string[] = [];
  try {
    await new Promise<void>((r) => listener.bind(0, '127.0.0.1', () => r()));
    const port = listener.address().port;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');

    await page.getByRole('tab', { name: 'Store' }).click();
    await captureOnLoAndSend(page, port, DATAGRAMS, 'capture panel');

    // the panel counts them from the capture status events
    await page.waitForFunction(
      (n) => Number((globalThis as unknown as PageGlobals).document.querySelector('.capture-status[data-state="running"] [data-stat="packets"]')?.textContent?.replace(/\D/g, '') ?? 0) >= n,
      DATAGRAMS,
      { timeout: 15_000 },
    );
    await shot(page, 'capture-01-running');

    // the flow arrives in the grid as a live flow event
    await page.getByRole('tab', { name: 'Flows' }).click();
    await page.locator('.grid-row', { hasText: String(port) }).first().waitFor({ timeout: 15_000 });
    await shot(page, 'capture-02-flow-in-grid');

    await page.getByRole('tab', { name: 'Store' }).click();
    assert.equal(await page.inputValue('#capture-filter'), `udp port ${port}`, 'the form survives a visit to another view');
    await page.locator('.capture-status[data-state="running"]').getByRole('button', { name: 'Stop' }).click();
    await page.waitForSelector('.capture-status[data-state="stopped"]', { timeout: 30_000 });
    const packets = Number((await page.locator('.capture-status[data-state="stopped"] [data-stat="packets"]').textContent())?.replace(/\D/g, ''));
    assert.equal(packets, DATAGRAMS, 'the filter kept exactly the test\'s datagrams');
    await shot(page, 'capture-03-stopped');
    assert.deepEqual(pageErrors, []);
  } finally {
    listener.close();
    await browser?.close();
    await serve.stop();
  }
});
