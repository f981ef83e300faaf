/**
 * The shell's security decisions as pure functions: navigation only within app://tapline,
 * window.open denied (http(s) to the system browser after a click), no remote requests,
 * permissions denied, the exact CSP, the window's webPreferences, app:// path mapping.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_ENTRY_URL, APP_ORIGIN } from '../../../electron/main/lib/app-identity.js';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS, withSecurityHeaders } from '../../../electron/main/lib/csp.js';
import {
  appAssetPath,
  contentTypeFor,
  externalUrlAllowed,
  isAllowedRequestUrl,
  isAppUrl,
  isTrustedSenderUrl,
  navigationDecision,
  UserActivation,
  windowOpenDecision,
} from '../../../electron/main/lib/navigation-policy.js';
import { permissionDecision } from '../../../electron/main/lib/permission-policy.js';
import { secureWebPreferences } from '../../../electron/main/lib/web-preferences.js';
import { apiBaseFromArgv, storeDirFromArgv } from '../../../electron/main/lib/argv.js';
import { repoRoot } from '../../helpers/corpus.js';

const HOSTILE = [
  'https://evil.example/',
  'http://127.0.0.1:7880/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'app://evil/index.html',
  'app://tapline.evil/index.html',
  'app://tapline:8080/index.html',
  'app://user@tapline/index.html',
  'app://TAPLINE.example/',
  'chrome://settings',
  'devtools://devtools/bundled/inspector.html',
  'about:blank',
  'tapline://flow?id=a-1',
  '',
  'not a url',
];

describe('navigation', () => {
  test('the app origin is allowed (routes, hashes, queries)', () => {
    for (const u of [APP_ENTRY_URL, `${APP_ORIGIN}/`, `${APP_ORIGIN}/index.html#/flows?host=10.0.0.1`, `${APP_ORIGIN}/flows/abc`]) {
      assert.equal(navigationDecision(u), 'allow', u);
      assert.ok(isAppUrl(u));
    }
  });

  test('everything else is denied', () => {
    for (const u of HOSTILE) assert.equal(navigationDecision(u), 'deny', u);
  });

  test('IPC senders: only our page', () => {
    assert.ok(isTrustedSenderUrl(APP_ENTRY_URL));
    for (const u of [...HOSTILE, null, undefined]) assert.equal(isTrustedSenderUrl(u), false, String(u));
  });
});

describe('new windows and external links', () => {
  test('every window.open is denied; http(s) may go to the system browser', () => {
    assert.deepEqual(windowOpenDecision('https://docs.example/page?q=1'), { action: 'deny', openExternally: 'https://docs.example/page?q=1' });
    assert.deepEqual(windowOpenDecision('http://wiki.local/x'), { action: 'deny', openExternally: 'http://wiki.local/x' });
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://share/x', 'ms-msdt:/id', 'vbscript:x', APP_ENTRY_URL, 'https://user:pw@evil.example/', 'https://']) {
      assert.deepEqual(windowOpenDecision(u), { action: 'deny', openExternally: null }, u);
    }
    assert.equal(externalUrlAllowed(`https://e.example/${'a'.repeat(3000)}`), false, 'overlong');
  });

  test('an external link opens only right after a real click, once per click', () => {
    const a = new UserActivation(2000);
    assert.equal(a.consume(1000), false, 'no input yet');
    a.note('mouseMove', 1000);
    assert.equal(a.consume(1000), false, 'moving the mouse is not a click');
    a.note('mouseUp', 5000);
    assert.equal(a.consume(5500), true);
    assert.equal(a.consume(5600), false, 'one click, one link');
    a.note('keyDown', 10_000);
    assert.equal(a.consume(12_001), false, 'too long after the key press');
  });
});

describe('requests and permissions', () => {
  test('no remote content: only app:// (and devtools: for development DevTools) is fetched', () => {
    assert.ok(isAllowedRequestUrl(`${APP_ORIGIN}/assets/index-abc.js`));
    assert.ok(isAllowedRequestUrl('devtools://devtools/bundled/inspector.html'));
    for (const u of ['https://cdn.example/x.js', 'http://127.0.0.1:7880/api/info', 'ws://127.0.0.1/api/live', 'wss://x/', 'file:///etc/passwd', 'ftp://x/', 'app://evil/x.js', 'chrome-extension://abc/x.js']) {
      assert.equal(isAllowedRequestUrl(u), false, u);
    }
  });

  test('permissions: refused, except clipboard write for our page', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal', 'clipboard-read', 'display-capture', 'hid', 'serial', 'usb', 'storage-access', 'idle-detection', 'window-management', 'unknown']) {
      assert.equal(permissionDecision(p, APP_ENTRY_URL), false, p);
    }
    assert.equal(permissionDecision('clipboard-sanitized-write', APP_ENTRY_URL), true);
    assert.equal(permissionDecision('clipboard-sanitized-write', APP_ORIGIN), true, 'check handler passes the origin');
    assert.equal(permissionDecision('clipboard-sanitized-write', 'https://evil.example/'), false);
    assert.equal(permissionDecision('clipboard-sanitized-write', undefined), false);
  });
});

describe('Content-Security-Policy', () => {
  const EXPECTED =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; media-src 'none'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  test('is exactly the documented string', () => {
    assert.equal(CONTENT_SECURITY_POLICY, EXPECTED);
    const doc = readFileSync(join(repoRoot, 'docs/ELECTRON-SECURITY.md'), 'utf8');
    assert.ok(doc.includes(`\n${EXPECTED}\n`), 'docs/ELECTRON-SECURITY.md quotes the policy on a line of its own');
  });

  test('never allows inline script, eval or remote origins', () => {
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|wasm-unsafe-eval|https?:|\*|ws:|wss:/);
  });

  test('is forced onto every response, replacing any other casing of the header', () => {
    const h = withSecurityHeaders({ 'content-security-policy': ["default-src *"], 'X-Other': ['1'] });
    assert.deepEqual(h['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
    assert.equal(h['content-security-policy'], undefined);
    assert.deepEqual(h['X-Other'], ['1']);
    assert.equal(withSecurityHeaders(undefined)['X-Content-Type-Options']?.[0], 'nosniff');
    assert.equal(SECURITY_HEADERS['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
  });
});

describe('the window', () => {
  test('webPreferences: isolation, sandbox, no Node, web security, no webview, no remote spellcheck', () => {
    const p = secureWebPreferences({ preload: '/app/dist/electron/preload/preload.cjs', devTools: false });
    assert.deepEqual(p, {
      preload: '/app/dist/electron/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: false,
      additionalArguments: [],
    });
    assert.equal('enableBlinkFeatures' in p, false);
    assert.equal('enableRemoteModule' in p, false);
  });
});

describe('app:// files', () => {
  test('maps our URLs into the renderer folder', () => {
    assert.equal(appAssetPath(`${APP_ORIGIN}/`), 'index.html');
    assert.equal(appAssetPath(APP_ORIGIN), 'index.html');
    assert.equal(appAssetPath(`${APP_ORIGIN}/assets/index-abc.js?v=1#x`), 'assets/index-abc.js');
    assert.equal(appAssetPath(`${APP_ORIGIN}/fonts/a%20b.woff2`), 'fonts/a b.woff2');
  });

  test('refuses traversal and other origins', () => {
    // literal dot segments are resolved by the URL parser itself and cannot climb above the root
    assert.equal(appAssetPath(`${APP_ORIGIN}/../../etc/passwd`), 'etc/passwd');
    assert.equal(appAssetPath(`${APP_ORIGIN}/%2e%2e/%2e%2e/etc/passwd`), 'etc/passwd');
    for (const u of [
      `${APP_ORIGIN}/assets/..%2f..%2fsecret`,
      `${APP_ORIGIN}/a%5c..%5c..%5cwin.ini`,
      `${APP_ORIGIN}//etc/passwd`,
      `${APP_ORIGIN}/C:/Windows/win.ini`,
      `${APP_ORIGIN}/x%00.js`,
      `${APP_ORIGIN}/%E0%A4%A`,
      'app://evil/index.html',
      'file:///etc/passwd',
    ]) {
      assert.equal(appAssetPath(u), null, u);
    }
  });

  test('content types', () => {
    assert.equal(contentTypeFor('index.html'), 'text/html; charset=utf-8');
    assert.equal(contentTypeFor('assets/a.JS'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeFor('favicon.svg'), 'image/svg+xml');
    assert.equal(contentTypeFor('blob'), 'application/octet-stream');
  });
});

describe('switches', () => {
  test('--tapline-store and the preload\'s --tapline-api-base', () => {
    assert.equal(storeDirFromArgv(['electron', '/repo', '--tapline-store=/data/store']), '/data/store');
    assert.equal(storeDirFromArgv(['electron', '/repo']), null);
    assert.equal(apiBaseFromArgv(['--tapline-api-base=http://127.0.0.1:7880']), 'http://127.0.0.1:7880');
    assert.equal(apiBaseFromArgv(['--tapline-api-base=https://evil.example']), null, 'loopback only');
    assert.equal(apiBaseFromArgv(['--tapline-api-base=javascript:alert(1)']), null);
    assert.equal(apiBaseFromArgv([]), null);
  });
});
