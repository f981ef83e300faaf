/** What every browser end-to-end test needs: Debian's Chromium, the built renderer, and where screenshots go. */
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { corpusPresent, corpusSkipReason, repoRoot } from '../helpers/corpus.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RENDERER_DIR = join(repoRoot, 'dist', 'renderer');
export const RENDERER = join(RENDERER_DIR, 'index.html');
/** Headless Debian Chromium, software rendering, nothing reaching the network by itself. */
export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = join(repoRoot, 'tests', 'artifacts');

/** Why a browser test cannot run here (no Chromium, renderer not built), or null. */
export function browserSkipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  if (!existsSync(RENDERER)) return `the renderer is not built (${RENDERER}); run npm run build`;
  return null;
}

/** Why a browser test on corpus captures cannot run here, or null. */
export function browserCorpusSkipReason(): string | null {
  const browser = browserSkipReason();
  if (browser) return browser;
  if (!corpusPresent) return corpusSkipReason ?? 'corpus missing';
  return null;
}

/** Why a browser test capturing live on lo cannot run here, or null. */
export function browserCaptureSkipReason(): string | null {
  const browser = browserSkipReason();
  if (browser) return browser;
  if (process.getuid?.() !== 0) return 'live capture on lo needs root (or a capture worker with cap_net_raw,cap_net_admin)';
  return null;
}

/** A screenshot into tests/artifacts/NAME.png. */
export const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/**
 * From the Store tab's Capture panel: starts a capture on lo for `udp port PORT`, waits until it
 * runs, then sends `count` datagrams "TEXT i" to 127.0.0.1:PORT.
 */
export async function captureOnLoAndSend(page: Page, port: number, count: number, text: string): Promise<void> {
  await page.waitForSelector('#capture-iface option[value="lo"]', { state: 'attached', timeout: 30_000 });
  await page.selectOption('#capture-iface', 'lo');
  await page.fill('#capture-filter', `udp port ${port}`);
  await page.getByRole('button', { name: 'Start capture' }).click();
  await page.waitForSelector('.capture-status[data-state="running"]', { timeout: 30_000 });
  const sender = createSocket('udp4');
  for (let i = 0; i < count; i++) await new Promise<void>((r, j) => sender.send(Buffer.from(`${text} ${i}`), port, '127.0.0.1', (e) => (e ? j(e) : r())));
  sender.close();
}
