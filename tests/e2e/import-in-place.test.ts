/**
 * "From server" in serve mode (serve --import-dir): the button lists the captures in the import
 * directory, a click imports one in place (no upload), its flows fill the grid and the tray shows
 * the result; the capture outside the directory (behind a symbolic link) is not offered.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { browserSkipReason, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import type { PageGlobals } from './page-globals.js';
import { startServe } from './serve-process.js';

test('From server: the import directory is listed, a capture is imported in place and its flows fill the grid', { timeout: 180_000 }, async (t) => {
  const skip = browserSkipReason();
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(join(tmpdir(), 'tl-uiperf-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const incoming = join(dir, 'incoming');
  await mkdir(join(incoming, 'site-a'), { recursive: true });
  writeFixturePcap(join(incoming, 'site-a', 'tap.pcap'));
  writeFixturePcap(join(dir, 'elsewhere.pcap'), { shiftUs: 3_000_000 });
  await symlink(join(dir, 'elsewhere.pcap'), join(incoming, 'linked.pcap'));
  const started = await startServe(20_000, ['--import-dir', incoming]);
  if (!started.ok) return t.skip(started.skip);
  const serve = started.serve;
  t.after(() => serve.stop());
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');
    await page.getByRole('button', { name: 'From server' }).click();
    const items = page.locator('.server-files [role=menuitem]');
    await items.first().waitFor();
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('title'))), ['site-a/tap.pcap'], 'only the capture inside the directory is offered');
    await items.first().click();
    await page.waitForSelector('.import-done');
    assert.match((await page.locator('.import-done .import-status').textContent()) ?? '', /^Indexed: \d+ packets, \d+ flows$/);
    const flows = Number(/(\d+) flows$/.exec((await page.locator('.import-done .import-status').textContent()) ?? '')?.[1]);
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#panel-flows .grid-row').length === n, flows, { timeout: 15_000 });
    const ids = await page.locator('#panel-flows .grid-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-flow-id') ?? ''));
    assert.equal(new Set(ids.map((id) => id.split('-')[0])).size, 1, 'all rows are flows of the one imported capture');
    await shot(page, 'import-in-place');
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
  }
});
