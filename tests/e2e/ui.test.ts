/**
 * The web UI end to end, as an analyst uses it: `tapline serve` on loopback, headless Chromium
 * (Debian's /usr/bin/chromium; never a downloaded browser), log in, import a capture through the
 * file picker, find its flow in the grid, right-click → Download pcap and compare the bytes with
 * the CLI's slice of the same flow, check that pause holds rows back, drop a file on the window,
 * visit Store and Settings.
 * Screenshots of each view go to tests/artifacts/ (git-ignored).
 * Skips, saying why, when Chromium, the built renderer, the corpus or serve mode is missing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { capturePath, corpusDir } from '../helpers/corpus.js';
import { ARTIFACTS, browserCorpusSkipReason, CHROMIUM, LAUNCH_ARGS, shot } from './browser-env.js';
import type { PageGlobals } from './page-globals.js';
import { runCli, serveForTest } from './serve-process.js';

/** The zeek capture's one flow: 141.142.228.5:59856 → 192.150.187.43:80, 2013-03-07 21:42:06 UTC. */
const HTTP_GET = 'zeek__http_get.pcap';
const HTTP_GET_SERVER = '192.150.187.43';
const IP4AND6 = 'chrissanders__http_ip4and6.pcapng';
const DNS_TCP = 'tcpdump__dns_tcp.pcap';

/** Drags a file onto the window the way a file manager does: dragenter, then drop. */
async function dropFile(page: Page, path: string, screenshot: string): Promise<void> {
  const b64 = (await readFile(path)).toString('base64');
  const name = path.split('/').pop() ?? 'capture.pcap';
  const fire = (type: 'dragenter' | 'drop') =>
    page.evaluate(
      ([data, fileName, eventType]) => {
        const w = globalThis as unknown as PageGlobals;
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new w.DataTransfer();
        dt.items.add(new w.File([bytes], fileName));
        w.dispatchEvent(new w.DragEvent(eventType, { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [b64, name, type] as const,
    );
  await fire('dragenter');
  await page.locator('.drop-overlay').waitFor();
  await shot(page, screenshot);
  await fire('drop');
  await page.locator('.drop-overlay').waitFor({ state: 'detached' });
}


/** Rows the grid shows (it renders only the rows in view; these tests have a handful). */
async function rowIds(page: Page): Promise<string[]> {
  return page.locator('.grid-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-flow-id') ?? ''));
}

async function waitForRows(page: Page, n: number): Promise<void> {
  await page.waitForFunction((count) => (globalThis as unknown as PageGlobals).document.querySelectorAll('.grid-row').length === count, n, { timeout: 15_000 });
}

test('web UI in serve mode: import, grid, context menu download, pause, store, settings', { timeout: 120_000 }, async (t) => {
  const serve = await serveForTest(t, browserCorpusSkipReason());
  if (!serve) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'tapline-e2e-dl-'));
  let browser: Browser | null = null;
  let page: Page | null = null;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 860 }, timezoneId: 'UTC' });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // ---- log in (the login URL sets the session cookie and lands on the UI) ----
    await page.goto(serve.loginUrl);
    await page.waitForSelector('[role=grid][aria-label=Flows]');
    await page.waitForSelector('.conn-ok');
    await shot(page, '01-flows-empty');

    // ---- import through the file picker; the flow appears when the import finishes ----
    await page.setInputFiles('#import-input', capturePath(HTTP_GET));
    await waitForRows(page, 1);
    await page.waitForSelector('.import-done');
    const [flowId] = await rowIds(page);
    assert.match(flowId, /^[0-9a-f]+-\d+$/);
    const serverCell = page.locator(`.grid-row[data-flow-id="${flowId}"] [data-col=server]`);
    assert.equal(await serverCell.textContent(), HTTP_GET_SERVER);
    assert.equal(await page.locator(`.grid-row[data-flow-id="${flowId}"] [data-col=time]`).textContent(), '03/07 21:42:06');
    await shot(page, '02-flows-imported');

    // ---- right-click → Download pcap: the bytes equal the CLI's slice of the flow ----
    await serverCell.click({ button: 'right' });
    const menu = page.getByRole('menu');
    await menu.waitFor();
    const labels = await menu.getByRole('menuitem').allTextContents();
    assert.deepEqual(labels, [
      'Download pcap',
      'Follow stream',
      'Show files in flow',
      'Show files in flow(s) page (±1 h)',
      'Copy as BPF filter',
      'Copy as Wireshark display filter',
      'Copy as CapMe URL',
      'Copy Community ID',
      `Filter by ${HTTP_GET_SERVER}`,
      `Exclude ${HTTP_GET_SERVER}`,
      'Search records by this IP',
      'Search archived events by this IP',
      `Classify ${HTTP_GET_SERVER}…`,
    ]);
    await shot(page, '03-context-menu');
    const [download] = await Promise.all([page.waitForEvent('download'), menu.getByRole('menuitem', { name: 'Download pcap' }).click()]);
    const downloaded = join(work, 'ui.pcap');
    await download.saveAs(downloaded);
    const reference = join(work, 'cli.pcap');
    const cli = await runCli(['slice', '--store', serve.storeDir, '--flow', flowId, '-o', reference]);
    assert.equal(cli.code, 0, cli.out);
    const [a, b] = await Promise.all([readFile(downloaded), readFile(reference)]);
    assert.ok(a.length > 24, 'a pcap with packets');
    assert.ok(a.equals(b), `downloaded ${a.length} bytes differ from the CLI slice (${b.length} bytes)`);

    // ---- right-click → Follow stream: the HTTP request line, client and server coloured apart ----
    await serverCell.click({ button: 'right' });
    await page.getByRole('menu').getByRole('menuitem', { name: 'Follow stream' }).click();
    const follow = page.getByRole('dialog', { name: /Follow stream/ });
    await follow.locator('.follow-block.dir-0').first().waitFor();
    assert.match((await follow.locator('.follow-block.dir-0').first().textContent()) ?? '', /^GET \/\S* HTTP\/1\.1/);
    assert.ok((await follow.locator('.follow-block.dir-1').count()) > 0, 'the server direction is shown');
    await shot(page, '03c-follow-stream');
    await follow.getByRole('radio', { name: 'Hex' }).check();
    assert.match((await follow.locator('.follow-block.dir-0').first().textContent()) ?? '', /^00000000  47 45 54 20/);
    await shot(page, '03d-follow-stream-hex');
    await follow.getByRole('button', { name: 'Close' }).click();
    await follow.waitFor({ state: 'detached' });

    // ---- right-click → Show files in flow: the carved file equals tshark's export (objects.json) ----
    const objects = JSON.parse(await readFile(join(corpusDir, 'oracles', HTTP_GET, 'objects.json'), 'utf8')) as { objects: { http: { name: string; sha256: string }[] } };
    await serverCell.click({ button: 'right' });
    await page.getByRole('menu').getByRole('menuitem', { name: 'Show files in flow', exact: true }).click();
    const filesPanel = page.getByRole('dialog', { name: /Files in flow/ });
    await filesPanel.locator('.file-row').first().waitFor();
    const shas = await filesPanel.locator('.file-sha256').allTextContents();
    for (const o of objects.objects.http) assert.ok(shas.includes(o.sha256), `${o.name} listed with tshark's sha256`);
    await filesPanel.locator('.file-row').first().hover();
    await filesPanel.locator('.file-preview .file-text').waitFor();
    assert.match((await filesPanel.locator('.file-preview .file-text').textContent()) ?? '', /\S/);
    await shot(page, '03e-files-in-flow');
    await filesPanel.getByRole('button', { name: 'Close' }).click();
    await filesPanel.waitFor({ state: 'detached' });

    // ---- right-click → Classify: a class from the server address; the rank cell changes value and colour ----
    const rankCell = page.locator(`.grid-row[data-flow-id="${flowId}"] [data-col=rank] .rank`);
    assert.equal(await rankCell.textContent(), '0');
    assert.match((await rankCell.getAttribute('class')) ?? '', /\brank-zero\b/);
    await serverCell.click({ button: 'right' });
    await page.getByRole('menu').getByRole('menuitem', { name: `Classify ${HTTP_GET_SERVER}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Classify ${HTTP_GET_SERVER}` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Classify' }).click();
    await dialog.locator('#classify-name-error').waitFor(); // a class needs a name
    await dialog.getByLabel('Class name').fill('Known web server');
    await dialog.getByLabel('Rank change').fill('3');
    await shot(page, '03b-classify-dialog');
    await dialog.getByRole('button', { name: 'Classify' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(
      (id) => (globalThis as unknown as PageGlobals).document.querySelector(`.grid-row[data-flow-id="${id}"] [data-col=rank] .rank`)?.textContent === '+3',
      flowId,
      { timeout: 15_000 },
    );
    assert.match((await rankCell.getAttribute('class')) ?? '', /\brank-pos\b/);
    await shot(page, '03c-classified');

    // ---- keyboard: select, open the detail pane, open the menu with Shift+F10, close it ----
    await page.locator('[role=grid]').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const detail = page.getByRole('complementary', { name: 'Flow details' });
    await detail.waitFor();
    assert.match((await detail.textContent()) ?? '', new RegExp(flowId));
    await page.keyboard.press('Shift+F10');
    await page.getByRole('menu').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    await shot(page, '04-detail-pane');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });

    // ---- pause holds rows back: an import while paused shows nothing until resume ----
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.setInputFiles('#import-input', capturePath(IP4AND6));
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('.import-done').length === 2, undefined, { timeout: 15_000 });
    await page.getByText('import finished').waitFor();
    assert.deepEqual(await rowIds(page), [flowId], 'paused: the new flows are held back');
    await shot(page, '05-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForRows(page, 3);

    // ---- drag and drop a capture anywhere on the window ----
    await dropFile(page, capturePath(DNS_TCP), '06-drop-overlay');
    await waitForRows(page, 4);
    await page.getByRole('button', { name: 'Close the import tray' }).click();

    // ---- a wrong value is explained next to its field; a valid search narrows the grid ----
    await page.getByLabel('Host', { exact: true }).fill('10.0.0.0/99');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#search-host1-error').waitFor();
    await page.getByLabel('Host', { exact: true }).fill(HTTP_GET_SERVER);
    await page.getByRole('button', { name: 'Search' }).click();
    await waitForRows(page, 1);

    // ---- Store panel ----
    await page.getByRole('tab', { name: 'Store' }).click();
    const table = page.getByRole('table');
    await table.waitFor();
    const tableText = (await table.textContent()) ?? '';
    assert.match(tableText, new RegExp(HTTP_GET.replace('.', '\\.')));
    assert.match(tableText, new RegExp(IP4AND6.replace('.', '\\.')));
    await shot(page, '07-store');

    // ---- Settings: the zone changes the grid's times; the theme persists ----
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Show and read times in').selectOption('America/New_York');
    await page.getByRole('radio', { name: 'Light' }).check();
    // the class made from the grid is listed; a threat list with a wrong line names the line
    const classesTable = page.getByRole('table', { name: 'Event classes' });
    await classesTable.waitFor();
    assert.match((await classesTable.textContent()) ?? '', new RegExp(`Known web server.*address ${HTTP_GET_SERVER.replace(/\./g, '\\.')}.*\\+3`));
    await page.getByRole('button', { name: 'New threat list' }).click();
    const listForm = page.getByRole('form', { name: 'New threat list' });
    await listForm.getByLabel('Name').fill('Lab resolvers');
    await listForm.getByLabel(/Addresses and CIDR blocks/).fill('# lab\n10.0.0.53\n10.0.0.300\n');
    await listForm.getByRole('button', { name: 'Create list' }).click();
    assert.equal(await listForm.locator('#list-entries-error').textContent(), 'line 3: "10.0.0.300" is not an IP address or CIDR block');
    await listForm.getByLabel(/Addresses and CIDR blocks/).fill('# lab\n10.0.0.53\n10.0.0.0/24\n');
    await listForm.getByRole('button', { name: 'Create list' }).click();
    await page.getByRole('table', { name: 'Threat lists' }).getByText('Lab resolvers').waitFor();
    // the Sensors section lists this store
    assert.match((await page.getByRole('table', { name: 'Sensors' }).textContent()) ?? '', /this store/);
    await shot(page, '08-settings-light');
    await page.getByRole('tab', { name: 'Flows' }).click();
    assert.equal(await page.locator(`.grid-row[data-flow-id="${flowId}"] [data-col=time]`).textContent(), '03/07 16:42:06');
    await shot(page, '09-flows-light');
    await page.reload();
    await waitForRows(page, 4);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme), 'light');

    assert.deepEqual(cspViolations, [], 'the page runs under its CSP without violations');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } catch (e) {
    if (page) await shot(page, 'failure').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await serve.stop();
    await rm(work, { recursive: true, force: true });
  }
});
