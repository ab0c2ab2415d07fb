import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ActivityItem, SettingsResponse } from '../../src/contract/api.js';
import { AgoraHome } from '../e2e/agora-process.js';

/** Settings and activity through the API of a real node, and `agora start` using the saved settings. */
describe('settings and activity API', () => {
  const home = new AgoraHome('web-settings');
  const dir = mkdtempSync(join(tmpdir(), 'agora-web-settings-'));
  let url = '';
  let folderId = '';

  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const token = readFileSync(join(home.home, 'api-token'), 'utf8').trim();
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/octet-stream' : 'application/json' }) },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as T };
  };

  beforeAll(async () => {
    url = String((await home.start()).api);
    await home.json('space', 'create', 'Office');
    writeFileSync(join(dir, 'a.txt'), 'a');
    folderId = (await home.json<{ folderId: string }>('folder', 'add', '--space', 'Office', '--path', dir, '--name', 'Box')).folderId;
  }, 60_000);

  afterAll(async () => {
    await home.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /settings: defaults saved, what this run uses, the flags that decided it, and no name chosen yet', async () => {
    const { status, json } = await call<SettingsResponse>('GET', '/api/v1/settings');
    expect(status).toBe(200);
    expect(json.nameChosen).toBe(false);
    expect(json.settings).toEqual({ listen: '0.0.0.0:0', api: '127.0.0.1:7420', bootstrap: [], dht: true, mdns: true, versionRetentionDays: 30, rescanIntervalMinutes: 60, maxUploadMb: 0 });
    expect(json.running).toMatchObject({ listen: '127.0.0.1:0', api: '127.0.0.1:0', dht: false });
    expect(json.overridden.sort()).toEqual(['api', 'dht', 'listen']);
    expect(json.restartOnly).toContain('rescanIntervalMinutes');
    expect(json.restartOnly).not.toContain('maxUploadMb');
  });

  test('PATCH /settings refuses bad values with what is allowed, and changes nothing then', async () => {
    const bad = async (body: unknown, message: RegExp) => {
      const r = await call<{ error: { code: string; message: string } }>('PATCH', '/api/v1/settings', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.message).toMatch(message);
    };
    await bad({ listen: 'nowhere' }, /HOST:PORT with a port from 0 to 65535/);
    await bad({ listen: '0.0.0.0:70000' }, /port from 0 to 65535/);
    await bad({ api: '0.0.0.0:7420' }, /this computer only: 127\.0\.0\.1:PORT/);
    await bad({ bootstrap: ['dht.example.org'] }, /HOST:PORT/);
    await bad({ rescanIntervalMinutes: 0 }, /from 1 to 10080/);
    await bad({ versionRetentionDays: -1 }, /from 0 to 3650/);
    await bad({ dht: 'yes' }, /boolean|true or false/);
    await bad({ colour: 'blue' }, /no setting "colour"/);
    await bad({ name: 'Zoe', listen: 'bad' }, /HOST:PORT/);
    const after = await call<SettingsResponse>('GET', '/api/v1/settings');
    expect(after.json.name).not.toBe('Zoe');
    expect(after.json.settings.listen).toBe('0.0.0.0:0');
  });

  test('PATCH /settings saves; the name and the upload limit apply at once, the rest waits for a restart', async () => {
    const r = await call<SettingsResponse>('PATCH', '/api/v1/settings', { name: 'Zoe', rescanIntervalMinutes: 15, maxUploadMb: 0.001 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: 'Zoe', nameChosen: true, restartRequired: true });
    expect(r.json.pendingRestart).toContain('rescanIntervalMinutes');
    expect(r.json.pendingRestart).not.toContain('maxUploadMb');

    const big = await call<{ error: { code: string; message: string } }>('PUT', `/api/v1/folders/${folderId}/file?path=big.txt`, 'x'.repeat(5000));
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('TOO_LARGE');
    expect(big.json.error.message).toMatch(/larger than the upload limit/);
    expect((await call('PUT', `/api/v1/folders/${folderId}/file?path=small.txt`, 'x'.repeat(500))).status).toBe(201);
    await call('PATCH', '/api/v1/settings', { maxUploadMb: 0 });
  });

  test('uploads make parent directories; a file in the way is a conflict, a path out of the folder is refused', async () => {
    expect((await call('PUT', `/api/v1/folders/${folderId}/file?path=${encodeURIComponent('deep/er/still/x.txt')}`, 'x')).status).toBe(201);
    expect(readFileSync(join(dir, 'deep/er/still/x.txt'), 'utf8')).toBe('x');
    expect((await call('PUT', `/api/v1/folders/${folderId}/file?path=${encodeURIComponent('a.txt/inside.txt')}`, 'x')).status).toBe(409);
    expect((await call('PUT', `/api/v1/folders/${folderId}/file?path=${encodeURIComponent('deep/../../out.txt')}`, 'x')).status).toBe(400);
  });

  test('GET /activity lists what happened, newest first', async () => {
    const { status, json } = await call<ActivityItem[]>('GET', '/api/v1/activity');
    expect(status).toBe(200);
    const types = json.map((i) => i.type);
    expect(types).toContain('space.added');
    expect(json.find((i) => i.type === 'folder.added')).toMatchObject({ folderName: 'Box', spaceName: 'Office' });
    expect(json.map((i) => i.id)).toEqual([...json.map((i) => i.id)].sort((a, b) => b - a));
    expect((await call('GET', '/api/v1/activity?limit=0')).status).toBe(400);
  });

  test('agora start with no flags uses the saved settings', async () => {
    const api = await freePort();
    expect((await call('PATCH', '/api/v1/settings', { api: `127.0.0.1:${api}`, listen: '127.0.0.1:0', dht: false, mdns: false })).status).toBe(200);
    await home.stop();
    const status = await home.json<{ api: string; dht: string }>('start', '--detach');
    url = status.api;
    expect(status.api).toBe(`http://127.0.0.1:${api}`);
    expect(status.dht).toBe('disabled');
    const after = await call<SettingsResponse>('GET', '/api/v1/settings');
    expect(after.json.overridden).toEqual([]);
    expect(after.json.pendingRestart).toEqual([]);
    expect(after.json.running.rescanIntervalMinutes).toBe(15);
    expect(after.json.nameChosen).toBe(true);
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
