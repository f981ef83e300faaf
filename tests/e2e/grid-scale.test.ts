/**
 * The flows grid with a million rows, in headless Chromium: the page gets a stand-in for the
 * Electron preload's `window.taplineBridge` whose live stream delivers 1,000,000 flow events in
 * batches of 5,000 (as the back end's event bus does). Every event still goes through the
 * renderer's schema validation and the row store. Checks that the DOM stays small, that
 * End / Home / PageDown reach the right rows across the scaled scroll range, and that a pause
 * holds rows back; prints ingest and frame timings (never asserted: see docs/ARCHITECTURE.md).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, RENDERER_DIR } from './browser-env.js';
import type { PageGlobals } from './page-globals.js';
import { serveStatic } from './static-server.js';

const ROWS = 1_000_000;

/**
 * Runs in the page before the app: a Bridge whose subscribe() streams `total` synthetic flows.
 * Flow i: id "0123456789ab-i", client 10.x.y.z, first_ts 1.7e9 + i (newest = highest i).
 */
function installFakeBridge(total: number): void {
  type Listener = (batch: unknown) => void;
  const flow = (i: number) => ({
    id: `0123456789ab-${i}`,
    sensor: 'scale',
    kind: 'ip',
    proto: i % 3 === 0 ? 17 : 6,
    client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    client_port: 1024 + (i % 60000),
    server_ip: '192.0.2.10',
    server_port: i % 3 === 0 ? 53 : 443,
    first_ts: `${1_700_000_000 + i}.000000000`,
    last_ts: `${1_700_000_000 + i}.250000000`,
    packets: 10 + (i % 90),
    bytes: 1000 + i,
    client_packets: 5,
    client_bytes: 400,
    server_packets: 5 + (i % 90),
    server_bytes: 600 + i,
    community_id: null,
    vlan: null,
    tcp_flags: i % 3 === 0 ? null : 27,
    icmp_type: null,
    icmp_code: null,
    l2_type: null,
    fragmented: false,
    note: null,
  });
  const page = globalThis as unknown as PageGlobals;
  const state = { delivered: 0, done: false, startedAt: 0, finishedAt: 0 };
  page.__scale = state;
  const bridge = {
    info: async () => ({ version: 'scale-test', sensors: [{ id: 'scale', name: 'Scale test', url: null, status: 'connected', message: null }], api_base: null }),
    searchFlows: async () => [],
    searchEvents: async () => [],
    stats: async () => [],
    importCaptures: async () => [],
    downloadPcap: async () => ({ saved: null }),
    pcapUrl: () => 'about:blank',
    followStream: async () => {
      throw new Error('not in this test');
    },
    flowFiles: async () => [],
    fileUrl: () => 'about:blank',
    // the rest of the Bridge (the renderer checks a preload bridge has every method)
    listSensors: async () => [],
    addSensor: async () => {
      throw new Error('not in this test');
    },
    removeSensor: async () => undefined,
    listClasses: async () => [],
    createClass: async () => {
      throw new Error('not in this test');
    },
    updateClass: async () => {
      throw new Error('not in this test');
    },
    deleteClass: async () => undefined,
    listThreatLists: async () => [],
    createThreatList: async () => {
      throw new Error('not in this test');
    },
    updateThreatList: async () => {
      throw new Error('not in this test');
    },
    deleteThreatList: async () => undefined,
    listInterfaces: async () => [],
    startCapture: async () => {
      throw new Error('not in this test');
    },
    stopCapture: async () => {
      throw new Error('not in this test');
    },
    captureStatus: async () => [],
    captureGaps: async () => ({ gaps: [], total: 0, unreadableLines: 0 }),
    subscribe: (cb: Listener) => {
      let i = 0;
      let seq = 0;
      state.startedAt = performance.now();
      const step = () => {
        const events = [];
        for (let k = 0; k < 5000 && i < total; k++, i++) events.push({ kind: 'flow', id: `e${i}`, sensor: 'scale', ts: `${1_700_000_000 + i}.5`, rank: (i % 201) - 100, flow: flow(i) });
        seq += events.length;
        cb({ seq, events, missed: 0 });
        state.delivered = i;
        if (i < total) setTimeout(step, 0);
        else {
          state.done = true;
          state.finishedAt = performance.now();
        }
      };
      setTimeout(step, 50);
      return () => undefined;
    },
  };
  page.taplineBridge = bridge;
}

/** What the canvas check reads in the page. */
interface CanvasPageGlobals {
  requestAnimationFrame(cb: (now: number) => void): number;
  document: {
    querySelector(selector: '.grid-canvas'): { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null } | null;
    querySelector(selector: string): { scrollTop: number; hasAttribute(name: string): boolean } | null;
  };
}

async function shownIds(page: Page): Promise<number[]> {
  return page.locator('.grid-row').evaluateAll((els) =>
    els
      .map((e) => ({ top: e.getBoundingClientRect().top, n: Number((e.getAttribute('data-flow-id') ?? '-1').split('-')[1]) }))
      .sort((a, b) => a.top - b.top)
      .map((x) => x.n),
  );
}

async function selectedId(page: Page): Promise<number> {
  const id = await page.locator('.grid-row.is-selected').getAttribute('data-flow-id');
  return Number((id ?? '-1').split('-')[1]);
}

test('a million live rows: small DOM, keyboard and wheel reach every row, scrolling away pauses', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    t.skip('the renderer is not built; run npm run build:renderer');
    return;
  }
  await mkdir(ARTIFACTS, { recursive: true });
  const site = await serveStatic(RENDERER_DIR);
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // tsx (esbuild keepNames) wraps nested functions in __name(); give the page that helper.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.addInitScript(installFakeBridge, ROWS);
    await page.goto(`${site.origin}/`);
    await page.waitForSelector('[role=grid]');

    // Live ingest of a million validated events while the grid shows the top. The flood's
    // publishes are painted on the canvas (a canvas phase), not re-rendered as DOM rows.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('data-canvas') === '', undefined, { timeout: 60_000, polling: 20 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).__scale?.done), false, 'a canvas phase while the flood is still arriving');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__scale?.done === true, undefined, { timeout: 240_000, polling: 500 });
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('aria-rowcount') === String(n + 1), ROWS, { timeout: 30_000 });
    // a live flood is painted on the canvas (the DOM rows are frozen meanwhile); at rest the DOM rows are current
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('data-canvas') === null, undefined, { timeout: 30_000 });
    const ingestMs = await page.evaluate(() => {
      const s = (globalThis as unknown as PageGlobals).__scale;
      return s ? s.finishedAt - s.startedAt : NaN;
    });
    const domRows = await page.locator('.grid-row').count();
    assert.ok(domRows > 10 && domRows < 120, `only the rows in view exist in the DOM (${domRows})`);
    assert.equal((await shownIds(page))[0], ROWS - 1, 'the newest flow is on top');
    await page.screenshot({ path: join(ARTIFACTS, '09-million-rows.png') });

    // Keyboard: Home, End (the oldest row, a million rows down), PageUp, back Home.
    const grid = page.locator('[role=grid]');
    await grid.focus();
    await page.keyboard.press('Home');
    assert.equal(await selectedId(page), ROWS - 1);
    const t0 = Date.now();
    await page.keyboard.press('End');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('.grid-row.is-selected')?.getAttribute('data-flow-id') === '0123456789ab-0');
    const endMs = Date.now() - t0;
    const atEnd = await shownIds(page);
    assert.equal(atEnd.at(-1), 0, 'the last row is reachable through the scaled scroll range');
    for (let k = 1; k < atEnd.length; k++) assert.equal(atEnd[k], atEnd[k - 1] - 1, 'rows are contiguous and in order');
    assert.equal(await page.locator('.live-paused').count(), 1, 'scrolling away from the top paused live updates');
    await page.keyboard.press('PageUp');
    const afterPage = await selectedId(page);
    assert.ok(afterPage > 10 && afterPage < 60, `PageUp moved one screen (${afterPage})`);
    await page.keyboard.press('Home');
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('.grid-row.is-selected')?.getAttribute('data-flow-id') === `0123456789ab-${n}`, ROWS - 1);

    // Wheel scrolling in the middle of the range keeps rows contiguous.
    await page.mouse.move(700, 500);
    for (let k = 0; k < 10; k++) await page.mouse.wheel(0, 2400);
    // the rows are painted on the canvas while the wheel scrolls; the DOM rows return once it is quiet
    await page.waitForTimeout(50);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('data-canvas') === null);
    const mid = await shownIds(page);
    assert.ok(mid[0] < ROWS - 50, 'the wheel scrolled');
    for (let k = 1; k < mid.length; k++) assert.equal(mid[k], mid[k - 1] - 1);

    // Frame timing while scrolling by keyboard (reported, not asserted).
    const frames = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      const times: number[] = [];
      let last = performance.now();
      let running = true;
      const tick = (now: number) => {
        times.push(now - last);
        last = now;
        if (running) w.requestAnimationFrame(tick);
      };
      w.requestAnimationFrame(tick);
      const el = w.document.querySelector('.grid-scroll');
      for (let k = 0; k < 60 && el; k++) {
        el.scrollTop += 4000;
        await new Promise((r) => w.requestAnimationFrame(r));
      }
      running = false;
      times.sort((a, b) => a - b);
      return { median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] };
    });
    // While it scrolls, the grid paints its rows on a canvas (not blank); once the scroller is
    // quiet the DOM rows are back, contiguous, at the final position.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('data-canvas') === null);
    const phase = await page.evaluate(async () => {
      const w = globalThis as unknown as CanvasPageGlobals;
      const el = w.document.querySelector('.grid-scroll');
      if (el) el.scrollTop += 24 * 5000;
      await new Promise((r) => w.requestAnimationFrame(r));
      const grid = w.document.querySelector('[role=grid]');
      const canvas = w.document.querySelector('.grid-canvas');
      const px = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let colours = 0;
      const seen = new Set<number>();
      for (let i = 0; px && i < px.length; i += 4 * 97) {
        const c = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
        if (!seen.has(c)) {
          seen.add(c);
          colours++;
        }
      }
      return { canvas: grid?.hasAttribute('data-canvas') ?? false, colours };
    });
    assert.equal(phase.canvas, true, 'the rows are painted on the canvas while scrolling');
    assert.ok(phase.colours > 3, `the canvas shows rows, not a blank (${phase.colours} colours)`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[role=grid]')?.getAttribute('data-canvas') === null);
    const settled = await shownIds(page);
    assert.ok(settled.length > 10);
    for (let k = 1; k < settled.length; k++) assert.equal(settled[k], settled[k - 1] - 1, 'DOM rows back, contiguous');

    t.diagnostic(`ingest of ${ROWS} live flows: ${Math.round(ingestMs)} ms; End key: ${endMs} ms; scroll frames median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms`);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await site.close();
  }
});
