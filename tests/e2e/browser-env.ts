/** What every browser end-to-end test needs: Debian's Chromium, the built renderer, and where screenshots go. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../helpers/corpus.js';

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

/** A screenshot into tests/artifacts/NAME.png. */
export const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
