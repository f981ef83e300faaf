/** Settings: validated on load, a corrupt file is repaired or set aside, writes are atomic and private; the paths by platform. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appDataDir, defaultStoreDir, settingsFile, userDataDir, type PathContext } from '../../../electron/main/lib/app-paths.js';
import { DEFAULT_SETTINGS, isValidTimeZone, loadSettings, MAX_SETTINGS_BYTES, saveSettings, SettingsStore, type Settings } from '../../../electron/main/lib/settings.js';
import { restorableBounds } from '../../../electron/main/lib/window-bounds.js';

function tmp(): { dir: string; file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-settings-'));
  return { dir, file: join(dir, 'settings.json'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

const GOOD: Settings = { version: 1, storeDir: '/data/store', windowBounds: { x: 10, y: 20, width: 1200, height: 800, maximized: false }, timeZone: 'Europe/Berlin', theme: 'dark', apiPort: 7881 };

describe('loading', () => {
  test('absent file: defaults, to be written', async () => {
    const t = tmp();
    try {
      const r = await loadSettings(t.file);
      assert.deepEqual(r, { settings: { ...DEFAULT_SETTINGS }, problems: [], needsSave: true });
    } finally {
      t.done();
    }
  });

  test('a file of an earlier version (no apiPort) is valid: the loopback API port defaults to 7880; a bad port is reset', async () => {
    const t = tmp();
    try {
      const { apiPort: _drop, ...older } = GOOD;
      writeFileSync(t.file, JSON.stringify(older));
      assert.deepEqual(await loadSettings(t.file), { settings: { ...GOOD, apiPort: 7880 }, problems: [], needsSave: false });
      writeFileSync(t.file, JSON.stringify({ ...GOOD, apiPort: 70000 }));
      const r = await loadSettings(t.file);
      assert.equal(r.settings.apiPort, 7880);
      assert.ok(r.problems.some((p) => /settings\.apiPort/.test(p)));
    } finally {
      t.done();
    }
  });

  test('a valid file round-trips', async () => {
    const t = tmp();
    try {
      await saveSettings(t.file, GOOD);
      assert.deepEqual(await loadSettings(t.file), { settings: GOOD, problems: [], needsSave: false });
      if (process.platform !== 'win32') assert.equal(statSync(t.file).mode & 0o777, 0o600, 'owner-only');
      assert.deepEqual(readdirSync(t.dir), ['settings.json'], 'no temp file left');
    } finally {
      t.done();
    }
  });

  test('unreadable JSON is moved aside and defaults are used', async () => {
    const t = tmp();
    try {
      writeFileSync(t.file, '{"version":1, "storeDir": "/x"'); // torn write
      const r = await loadSettings(t.file, { now: new Date('2024-01-02T03:04:05Z') });
      assert.deepEqual(r.settings, DEFAULT_SETTINGS);
      assert.equal(r.needsSave, true);
      assert.match(r.problems[0], /not a JSON object \(moved to .*settings\.json\.corrupt-2024-01-02T03-04-05-000Z\)/);
      assert.deepEqual(readdirSync(t.dir).sort(), ['settings.json.corrupt-2024-01-02T03-04-05-000Z']);
    } finally {
      t.done();
    }
  });

  test('a JSON value that is not an object (null, array, string) is set aside too', async () => {
    for (const text of ['null', '[1,2]', '"x"', '42', '']) {
      const t = tmp();
      try {
        writeFileSync(t.file, text);
        const r = await loadSettings(t.file);
        assert.deepEqual(r.settings, DEFAULT_SETTINGS, text);
        assert.equal(r.problems.length, 1);
      } finally {
        t.done();
      }
    }
  });

  test('invalid fields are reset one by one, valid ones kept, unknown ones dropped', async () => {
    const t = tmp();
    try {
      writeFileSync(
        t.file,
        JSON.stringify({
          version: 1,
          storeDir: 'relative/path',
          windowBounds: { x: 1, y: 2, width: 10, height: 20, maximized: false },
          timeZone: 'Mars/Olympus',
          theme: 'dark',
          nodeIntegration: true,
        }).replace(/^\{/, '{"__proto__":{"polluted":true},'),
      );
      const r = await loadSettings(t.file);
      assert.deepEqual(r.settings, { version: 1, storeDir: null, windowBounds: null, timeZone: 'UTC', theme: 'dark', apiPort: 7880 });
      assert.equal(r.needsSave, true);
      assert.ok(r.problems.some((p) => /settings\.storeDir must be an absolute path/.test(p)));
      assert.ok(r.problems.some((p) => /settings\.windowBounds/.test(p)));
      assert.ok(r.problems.some((p) => /settings\.timeZone is not a known time zone/.test(p)));
      assert.ok(r.problems.some((p) => /settings\.nodeIntegration is unknown; dropped/.test(p)));
      assert.ok(r.problems.some((p) => /settings\.__proto__ is unknown; dropped/.test(p)));
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
      assert.equal(Object.getPrototypeOf(r.settings), Object.prototype);
    } finally {
      t.done();
    }
  });

  test('an oversized file is not parsed', async () => {
    const t = tmp();
    try {
      writeFileSync(t.file, `{"pad":"${'x'.repeat(MAX_SETTINGS_BYTES)}"}`);
      const r = await loadSettings(t.file);
      assert.deepEqual(r.settings, DEFAULT_SETTINGS);
      assert.match(r.problems[0], /larger than/);
    } finally {
      t.done();
    }
  });

  test('read-only loading (the CLI) repairs in memory and touches nothing', async () => {
    const t = tmp();
    try {
      writeFileSync(t.file, 'garbage');
      const r = await loadSettings(t.file, { readOnly: true });
      assert.deepEqual(r.settings, DEFAULT_SETTINGS);
      assert.match(r.problems[0], /left in place/);
      assert.equal(readFileSync(t.file, 'utf8'), 'garbage');
    } finally {
      t.done();
    }
  });
});

describe('saving', () => {
  test('refuses invalid settings', async () => {
    const t = tmp();
    try {
      await assert.rejects(saveSettings(t.file, { ...GOOD, theme: 'neon' as Settings['theme'] }));
      assert.deepEqual(readdirSync(t.dir), []);
    } finally {
      t.done();
    }
  });

  test('the store repairs on open, validates updates and keeps the last one', async () => {
    const t = tmp();
    try {
      writeFileSync(t.file, JSON.stringify({ ...GOOD, theme: 'neon' }));
      const lines: string[] = [];
      const s = await SettingsStore.open(t.file, (l) => lines.push(l));
      assert.match(lines[0], /settings\.theme/);
      assert.equal(JSON.parse(readFileSync(t.file, 'utf8')).theme, 'system', 'the repaired file was written');
      assert.throws(() => void s.update({ timeZone: 'Nowhere/Else' }));
      await Promise.all([s.update({ theme: 'light' }), s.update({ theme: 'dark' }), s.update({ storeDir: '/other' })]);
      const onDisk = JSON.parse(readFileSync(t.file, 'utf8')) as Settings;
      assert.equal(onDisk.theme, 'dark');
      assert.equal(onDisk.storeDir, '/other');
    } finally {
      t.done();
    }
  });

  test('time zones', () => {
    for (const tz of ['UTC', 'local', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) assert.ok(isValidTimeZone(tz), tz);
    for (const tz of ['', 'Mars/Olympus', '../../etc', 'UTC; rm -rf', 'x'.repeat(80)]) assert.equal(isValidTimeZone(tz), false, tz);
  });
});

describe('paths', () => {
  const linux: PathContext = { platform: 'linux', env: {}, home: '/home/ana' };
  test('Linux: XDG dirs or their defaults (relative XDG values ignored)', () => {
    assert.equal(userDataDir(linux), '/home/ana/.config/Tapline');
    assert.equal(settingsFile(linux), '/home/ana/.config/Tapline/settings.json');
    assert.equal(defaultStoreDir(linux), '/home/ana/.local/share/tapline/store');
    const xdg = { ...linux, env: { XDG_CONFIG_HOME: '/cfg', XDG_DATA_HOME: '/data' } };
    assert.equal(userDataDir(xdg), '/cfg/Tapline');
    assert.equal(defaultStoreDir(xdg), '/data/tapline/store');
    assert.equal(appDataDir({ ...linux, env: { XDG_CONFIG_HOME: 'relative' } }), '/home/ana/.config');
  });

  test('macOS and Windows', () => {
    const mac: PathContext = { platform: 'darwin', env: {}, home: '/Users/ana' };
    assert.equal(userDataDir(mac), '/Users/ana/Library/Application Support/Tapline');
    assert.equal(defaultStoreDir(mac), '/Users/ana/Library/Application Support/Tapline/store');
    const win: PathContext = { platform: 'win32', env: { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, home: 'C:\\Users\\ana' };
    assert.equal(userDataDir(win), 'C:\\Users\\ana\\AppData\\Roaming\\Tapline');
    assert.equal(defaultStoreDir(win), 'C:\\Users\\ana\\AppData\\Local\\Tapline\\store');
    assert.equal(defaultStoreDir({ ...win, env: {} }), 'C:\\Users\\ana\\AppData\\Local\\Tapline\\store');
  });
});

describe('window bounds', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1050 }];
  test('restored when visible, clamped to the display', () => {
    const b = { x: 100, y: 100, width: 1200, height: 800, maximized: true };
    assert.deepEqual(restorableBounds(b, screen), b);
    assert.deepEqual(restorableBounds({ ...b, width: 4000, height: 3000 }, screen), { ...b, width: 1920, height: 1050 });
  });
  test('dropped when the monitor is gone or the title bar is off screen', () => {
    assert.equal(restorableBounds({ x: 3000, y: 100, width: 1200, height: 800, maximized: false }, screen), null);
    assert.equal(restorableBounds({ x: 100, y: -700, width: 1200, height: 800, maximized: false }, screen), null);
    assert.equal(restorableBounds(null, screen), null);
  });
});
