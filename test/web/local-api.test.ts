import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgoraHome } from '../e2e/agora-process.js';

/**
 * The web app's side of the local API on a real node: sign-in links and session cookies,
 * the Origin rule for cookie requests, and the folder file routes (list, download, upload).
 */
describe('local API for the web app', () => {
  const home = new AgoraHome('web-api');
  const dir = mkdtempSync(join(tmpdir(), 'agora-web-api-'));
  let url = '';
  let token = '';
  let folderId = '';

  const bearer = () => ({ authorization: `Bearer ${token}` });
  const signIn = async () => {
    const { link } = await home.json<{ link: string }>('open', '--no-browser');
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    return { link, cookie: cookie.split(';')[0]! };
  };

  beforeAll(async () => {
    const status = await home.start();
    url = String(status.api);
    token = readFileSync(join(home.home, 'api-token'), 'utf8').trim();
    await home.json('space', 'create', 'Files');
    writeFileSync(join(dir, 'hello.txt'), 'hello\n');
    folderId = (await home.json<{ folderId: string }>('folder', 'add', '--space', 'Files', '--path', dir, '--name', 'Box')).folderId;
  }, 60_000);

  afterAll(async () => {
    await home.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a sign-in link works once and becomes a session cookie', async () => {
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(401);
    const { link, cookie } = await signIn();
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    const status = await fetch(`${url}/api/v1/status`, { headers: { cookie } });
    expect(status.status).toBe(200);
    // Only the token holder mints links; a browser session cannot.
    const mint = await fetch(`${url}/api/v1/session/login-link`, { method: 'POST', headers: { cookie, origin: url } });
    expect(mint.status).toBe(403);
  });

  test('a state-changing request carried by a cookie needs this app as its Origin', async () => {
    const { cookie } = await signIn();
    const body = JSON.stringify({ name: 'Renamed' });
    const json = { 'content-type': 'application/json' };
    expect((await fetch(`${url}/api/v1/node/name`, { method: 'POST', headers: { cookie, ...json }, body })).status).toBe(401);
    expect((await fetch(`${url}/api/v1/node/name`, { method: 'POST', headers: { cookie, ...json, origin: 'http://evil.example' }, body })).status).toBe(403);
    expect((await fetch(`${url}/api/v1/node/name`, { method: 'POST', headers: { cookie, ...json, origin: url }, body })).status).toBe(200);
    const out = await fetch(`${url}/api/v1/session/logout`, { method: 'POST', headers: { cookie, origin: url } });
    expect(out.status).toBe(200);
    expect((await fetch(`${url}/api/v1/status`, { headers: { cookie } })).status).toBe(401);
  });

  test('the app is served with a strict content security policy', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  test('upload streams a file in, listing shows it, download gives it back as an attachment', async () => {
    const put = await fetch(`${url}/api/v1/folders/${folderId}/file?path=${encodeURIComponent('sub/dir/new.json')}`, {
      method: 'PUT',
      headers: { ...bearer(), 'content-type': 'application/octet-stream' },
      body: '{"not":"parsed"}',
    });
    expect(put.status).toBe(201);
    expect(readFileSync(join(dir, 'sub/dir/new.json'), 'utf8')).toBe('{"not":"parsed"}');

    const again = await fetch(`${url}/api/v1/folders/${folderId}/file?path=sub/dir/new.json`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(again.status).toBe(409);

    const top = (await (await fetch(`${url}/api/v1/folders/${folderId}/files`, { headers: bearer() })).json()) as { entries: { name: string; type: string }[] };
    expect(top.entries.map((e) => `${e.type}:${e.name}`)).toEqual(['dir:sub', 'file:hello.txt']);

    const get = await fetch(`${url}/api/v1/folders/${folderId}/file?path=hello.txt`, { headers: bearer() });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(await get.text()).toBe('hello\n');
  });

  test('an upload over the limit is refused (413) and the connection stays usable, with or without a length', async () => {
    const settings = (body: unknown) => fetch(`${url}/api/v1/settings`, { method: 'PATCH', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await settings({ maxUploadMb: 1 })).status).toBe(200);
    try {
      const put = (path: string, body: Uint8Array | ReadableStream<Uint8Array>) =>
        fetch(`${url}/api/v1/folders/${folderId}/file?path=${path}`, {
          method: 'PUT',
          headers: { ...bearer(), 'content-type': 'application/octet-stream' },
          body,
          ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit);
      expect((await put('big1.bin', new Uint8Array(1_100_000))).status).toBe(413);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 1_200_000) return controller.close();
          sent += 100_000;
          controller.enqueue(new Uint8Array(100_000));
        },
      });
      expect((await put('big2.bin', stream)).status).toBe(413);
      // The next requests reuse the connection: a refused body must have been drained, not cut.
      expect((await fetch(`${url}/api/v1/status`, { headers: bearer() })).status).toBe(200);
      expect(existsSync(join(dir, 'big1.bin')) || existsSync(join(dir, 'big2.bin'))).toBe(false);
    } finally {
      await settings({ maxUploadMb: 0 });
    }
  });

  test('paths that leave the folder or name the engine are refused', async () => {
    symlinkSync(tmpdir(), join(dir, 'escape'));
    const put = (path: string) =>
      fetch(`${url}/api/v1/folders/${folderId}/file?path=${encodeURIComponent(path)}`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/octet-stream' }, body: 'x' });
    for (const path of ['../outside.txt', '/etc/passwd', '.agora/versions/x', 'a\\b']) expect((await put(path)).status, path).toBe(400);
    expect((await put('escape/evil.txt')).status).toBe(403);
    const list = await fetch(`${url}/api/v1/folders/${folderId}/files?path=escape`, { headers: bearer() });
    expect(list.status).toBe(403);
  });

  test('a conflict is resolved by keeping both versions, or one of them', async () => {
    const resolve = (path: string, keep: string) =>
      fetch(`${url}/api/v1/folders/${folderId}/conflicts/resolve`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ path, keep }) });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'notes.sync-conflict-20250101-120000-ABCDEFG.txt'), 'theirs');
    const both = await resolve('notes.sync-conflict-20250101-120000-ABCDEFG.txt', 'both');
    expect(both.status).toBe(200);
    expect(((await both.json()) as { paths: string[] }).paths).toEqual(['notes.txt', 'notes (from ABCDEFG).txt']);
    expect(readFileSync(join(dir, 'notes (from ABCDEFG).txt'), 'utf8')).toBe('theirs');

    writeFileSync(join(dir, 'notes.sync-conflict-20250102-120000-ABCDEFG.txt'), 'newer theirs');
    expect((await resolve('notes.sync-conflict-20250102-120000-ABCDEFG.txt', 'copy')).status).toBe(200);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('newer theirs');
    expect(existsSync(join(dir, 'notes.sync-conflict-20250102-120000-ABCDEFG.txt'))).toBe(false);
    expect((await resolve('notes.txt', 'original')).status).toBe(400);
  });
});
