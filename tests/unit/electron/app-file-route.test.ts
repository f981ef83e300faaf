import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appFileResponse, parseAppFileUrl, type FileSource } from '../../../electron/main/lib/app-file-route.js';
import { ServiceError, type FileContent } from '../../../electron/services/sensor-backend.js';

const SHA = 'a'.repeat(64);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-appfile-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function source(body: string, mime: string | null, temporary = false): Promise<{ files: FileSource; path: string; asked: { sha: string; sensor?: string }[] }> {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, body);
  const asked: { sha: string; sensor?: string }[] = [];
  const files: FileSource = {
    async fileContent(sha256: string, sensor?: string): Promise<FileContent> {
      asked.push({ sha: sha256, sensor });
      if (sha256 !== SHA) throw new ServiceError(`no carved file ${sha256}`, 404);
      return { path, size: body.length, mime, temporary };
    },
  };
  return { files, path, asked };
}

async function text(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  assert.ok(stream);
  return new Response(stream).text();
}

describe('app://tapline/api/files/ (carved files in the desktop app)', () => {
  it('parses only well-formed carved-file URLs of the app origin', () => {
    assert.deepEqual(parseAppFileUrl(`app://tapline/api/files/${SHA}`), { sha256: SHA, download: false });
    assert.deepEqual(parseAppFileUrl(`app://tapline/api/files/${SHA}?sensor=field-1&download=1&name=a.pdf`), { sha256: SHA, download: true, sensor: 'field-1', name: 'a.pdf' });
    assert.equal(parseAppFileUrl(`app://evil/api/files/${SHA}`), null);
    assert.equal(parseAppFileUrl(`https://tapline/api/files/${SHA}`), null);
    assert.equal(parseAppFileUrl(`app://tapline/api/files/${SHA.toUpperCase()}`), null);
    assert.equal(parseAppFileUrl(`app://tapline/api/files/${SHA}/x`), null);
    assert.equal(parseAppFileUrl(`app://tapline/api/files/${SHA}?sensor=../x`), null);
    assert.equal(parseAppFileUrl(`app://tapline/api/files/${SHA}?download=yes`), null);
    assert.equal(parseAppFileUrl('not a url'), null);
  });

  it('serves HTML carved from the wire as sandboxed plain text, never as a document', async () => {
    const { files, asked } = await source('<script>alert(1)</script>', 'text/html');
    const r = await appFileResponse(files, `app://tapline/api/files/${SHA}?sensor=s1`, 'GET');
    assert.equal(r.status, 200);
    assert.equal(r.headers['Content-Type'], 'text/plain; charset=utf-8');
    assert.match(r.headers['Content-Security-Policy'], /^sandbox;.*script-src 'none'/);
    assert.equal(r.headers['X-Content-Type-Options'], 'nosniff');
    assert.match(r.headers['Content-Disposition'], /^inline;/);
    assert.equal(await text(r.body), '<script>alert(1)</script>');
    assert.deepEqual(asked, [{ sha: SHA, sensor: 's1' }]);
  });

  it('keeps raster image types so previews render, and makes download=1 an attachment with a sanitized name', async () => {
    const { files } = await source('PNGDATA', 'image/png');
    const inline = await appFileResponse(files, `app://tapline/api/files/${SHA}`, 'GET');
    assert.equal(inline.headers['Content-Type'], 'image/png');
    await text(inline.body);
    const dl = await appFileResponse(files, `app://tapline/api/files/${SHA}?download=1&name=${encodeURIComponent('../../etc/pass wd\r\nX: y')}`, 'GET');
    assert.equal(dl.headers['Content-Type'], 'image/png');
    assert.equal(dl.headers['Content-Disposition'], 'attachment; filename="etc_pass_wd_X_y"');
    assert.equal(dl.headers['Content-Length'], '7');
    await text(dl.body);
  });

  it('answers errors in words: bad URL 400, unknown file 404 (from the services), other methods 405', async () => {
    const { files } = await source('x', null);
    const bad = await appFileResponse(files, 'app://tapline/api/files/nothex', 'GET');
    assert.equal(bad.status, 400);
    assert.match(bad.error ?? '', /carved-file URL/);
    const missing = await appFileResponse(files, `app://tapline/api/files/${'b'.repeat(64)}`, 'GET');
    assert.equal(missing.status, 404);
    assert.match(missing.error ?? '', /no carved file/);
    assert.equal((await appFileResponse(files, `app://tapline/api/files/${SHA}`, 'POST')).status, 405);
  });

  it('deletes a temporary copy (a remote sensor\'s download) once the bytes were read, and on HEAD', async () => {
    const t1 = await source('remote bytes', 'application/pdf', true);
    const r = await appFileResponse(t1.files, `app://tapline/api/files/${SHA}`, 'GET');
    assert.equal(r.headers['Content-Type'], 'application/octet-stream');
    assert.equal(await text(r.body), 'remote bytes');
    for (let i = 0; i < 50 && (await stat(t1.path).catch(() => null)); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(await stat(t1.path).catch(() => null), null);
    const t2 = await source('remote bytes', 'application/pdf', true);
    const h = await appFileResponse(t2.files, `app://tapline/api/files/${SHA}`, 'HEAD');
    assert.equal(h.body, null);
    for (let i = 0; i < 50 && (await stat(t2.path).catch(() => null)); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(await stat(t2.path).catch(() => null), null);
  });

  it('keeps the store\'s own file (not temporary) after serving it', async () => {
    const s = await source('kept', 'text/plain', false);
    const r = await appFileResponse(s.files, `app://tapline/api/files/${SHA}`, 'GET');
    await text(r.body);
    await new Promise((res) => setTimeout(res, 20));
    assert.ok(await stat(s.path));
  });
});
