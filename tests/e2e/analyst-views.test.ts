/**
 * The analyst views beyond the flows grid, end to end against `tapline serve` in Debian's
 * Chromium: a capture imported through the UI reaches the Real-Time view as an aggregated row
 * (shown once flow events are enabled) and the IndexedDB archive; a historical search by IP finds
 * its events and draws the charts; right-click → Show files in flow(s) opens the payload page,
 * which lists the carved file and previews it. Screenshots go to tests/artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { capturePath } from '../helpers/corpus.js';
import { ARTIFACTS, browserCorpusSkipReason, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import { serveForTest } from './serve-process.js';

/** The zeek capture's one flow: 141.142.228.5:59856 → 192.150.187.43:80 (an HTTP GET with a body). */
const HTTP_GET = 'zeek__http_get.pcap';
const CLIENT = '141.142.228.5';
const SERVER = '192.150.187.43';

test('Real-Time aggregation, historical search by IP with charts, and the files page', { timeout: 120_000 }, async (t) => {
  const serve = await serveForTest(t, browserCorpusSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  let browser: Browser | null = null;
  let page: Page | null = null;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(serve.loginUrl);
    await page.waitForSelector('.conn-ok');

    // ---- import: the live stream delivers the flow to the Real-Time view and the archive ----
    await page.setInputFiles('#import-input', capturePath(HTTP_GET));
    await page.waitForSelector('.import-done');
    await page.getByRole('tab', { name: 'Real-Time' }).click();
    const grid = page.getByRole('grid', { name: 'Real-time events' });
    await grid.waitFor();
    // a flow row without related events is hidden until flow events are enabled
    await page.getByRole('button', { name: 'Enable Flow Events' }).click();
    const row = page.locator('.rt-flow').filter({ hasText: SERVER }).first();
    await row.waitFor();
    assert.equal(await row.locator('[data-col=client]').textContent(), CLIENT);
    assert.equal(await row.locator('[data-col=serverPorts]').textContent(), '80');
    assert.equal(await row.locator('[data-col=flows]').textContent(), '1');
    assert.equal(await row.locator('[data-col=proto]').textContent(), 'tcp');
    assert.equal(await row.locator('[data-col=time]').textContent(), '03/07 21:42:06');
    await shot(page, '20-realtime');

    // ---- pause holds new rows back ----
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Paused', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();

    // ---- right-click → Show files in flow(s): the payload page lists and previews the carved file ----
    await row.locator('[data-col=server]').click({ button: 'right' });
    await page.getByRole('menu').getByRole('menuitem', { name: /^Show files in flow/ }).click();
    const files = page.getByRole('table', { name: 'Carved files' });
    await files.waitFor({ timeout: 30_000 });
    const firstFile = files.locator('.file-row').first();
    assert.match((await firstFile.locator('.file-sha256').textContent()) ?? '', /^[0-9a-f]{64}$/);
    await firstFile.hover();
    await page.locator('.files-page-preview .file-preview').waitFor();
    await page.locator('.files-page-preview .file-text, .files-page-preview .file-image').first().waitFor();
    assert.ok((await page.getByRole('table', { name: 'Flows of the query' }).locator('tbody tr').count()) >= 1);
    // the default window is ±1 h around the flow
    assert.equal(await page.locator('#files-hosts').inputValue(), `${CLIENT} ${SERVER}`);
    await shot(page, '21-files-page');

    // ---- historical search by IP finds the archived events, and the charts render ----
    await page.getByRole('tab', { name: 'Historical' }).click();
    await page.locator('#hist-since').fill('');
    await page.locator('#hist-ip').fill(CLIENT);
    await page.getByRole('search', { name: 'Search Events or Flows' }).getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table', { name: 'Events found' });
    await results.locator('tbody tr').first().waitFor();
    const kinds = await results.locator('tbody tr td:nth-child(3)').allTextContents();
    assert.ok(kinds.includes('flow'), `the flow event is found (kinds: ${kinds.join(', ')})`);
    const srcs = await results.locator('tbody tr td:nth-child(5)').allTextContents();
    assert.ok(srcs.every((s) => s === CLIENT || s === ''), 'only events of that address');
    await page.locator('[data-chart=time] .recharts-surface').first().waitFor();
    await page.locator('[data-chart=talkers] .recharts-bar-rectangle').first().waitFor();
    await shot(page, '22-historical');

    // a CIDR block that does not cover the address finds nothing
    await page.locator('#hist-ip').fill('10.0.0.0/8');
    await page.getByRole('search', { name: 'Search Events or Flows' }).getByRole('button', { name: 'Search' }).click();
    await page.getByText(/No archived events match/).waitFor();

    // flows go to the back end
    await page.locator('#hist-target').selectOption('flows');
    await page.locator('#hist-ip').fill('141.142.228.0/24');
    await page.getByRole('search', { name: 'Search Events or Flows' }).getByRole('button', { name: 'Search' }).click();
    await page.getByRole('table', { name: 'Flows found' }).locator('tbody tr').first().waitFor();
    await shot(page, '23-historical-flows');

    assert.deepEqual(cspViolations, [], 'the page runs under its CSP without violations');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } catch (e) {
    if (page) await shot(page, 'failure-analyst-views').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await serve.stop();
  }
});
