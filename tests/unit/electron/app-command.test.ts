/** `tapline app` helpers: finding Electron without downloading it, desktop detection, the browser opener, the login URL. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserCommand, findElectronBinary, findLoginUrl, hasDesktopSession } from '../../../electron/cli/app-command.js';

describe('finding the Electron binary', () => {
  test('absent here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD): null, and no download attempted', () => {
    const empty = mkdtempSync(join(tmpdir(), 'tapline-noelectron-'));
    try {
      assert.equal(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: empty }), null);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('found where the electron package says (path.txt under dist/), only if executable', () => {
    const root = mkdtempSync(join(tmpdir(), 'tapline-electron-'));
    try {
      const pkg = join(root, 'node_modules', 'electron');
      mkdirSync(join(pkg, 'dist'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), '{"name":"electron","version":"45.0.0","main":"index.js"}');
      writeFileSync(join(pkg, 'index.js'), 'throw new Error("must not be required: it downloads")');
      writeFileSync(join(pkg, 'path.txt'), 'electron');
      const from = pathToFileURL(join(root, 'app.js')).href;
      assert.equal(findElectronBinary({}, from), null, 'path.txt but no binary yet');
      writeFileSync(join(pkg, 'dist', 'electron'), '#!/bin/sh\n');
      chmodSync(join(pkg, 'dist', 'electron'), 0o644);
      if (process.platform !== 'win32') assert.equal(findElectronBinary({}, from), null, 'not executable');
      chmodSync(join(pkg, 'dist', 'electron'), 0o755);
      assert.equal(findElectronBinary({}, from), join(pkg, 'dist', 'electron'));
      const override = join(root, 'custom');
      mkdirSync(override);
      assert.equal(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: override }, from), null);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('desktop and browser', () => {
  test('a desktop session', () => {
    assert.equal(hasDesktopSession('linux', {}), false);
    assert.equal(hasDesktopSession('linux', { DISPLAY: ':0' }), true);
    assert.equal(hasDesktopSession('linux', { WAYLAND_DISPLAY: 'wayland-0' }), true);
    assert.equal(hasDesktopSession('darwin', {}), true);
    assert.equal(hasDesktopSession('win32', {}), true);
  });

  test('the opener gets the URL as one argument, never through a shell', () => {
    const url = 'http://127.0.0.1:7880/login?token=a&b=c^d';
    assert.deepEqual(browserCommand(url, 'linux'), { cmd: 'xdg-open', args: [url] });
    assert.deepEqual(browserCommand(url, 'darwin'), { cmd: 'open', args: [url] });
    assert.deepEqual(browserCommand(url, 'win32'), { cmd: 'rundll32', args: ['url.dll,FileProtocolHandler', url] });
  });

  test('the login URL in serve\'s output', () => {
    assert.equal(findLoginUrl('tapline: open http://127.0.0.1:40123/login?token=AbC-_~.%2F9 in a browser'), 'http://127.0.0.1:40123/login?token=AbC-_~.%2F9');
    assert.equal(findLoginUrl('login: https://[::1]:7880/login?token=x'), 'https://[::1]:7880/login?token=x');
    assert.equal(findLoginUrl('listening on http://0.0.0.0:7880/login?token=x'), null, 'loopback only');
    assert.equal(findLoginUrl('http://127.0.0.1:7880/'), null);
  });
});
