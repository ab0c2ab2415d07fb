import { describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, NodeSettings, parseHostPort, resolveStart, validateSettings } from '../../src/node/node-settings.js';
import type { SettingsRepo } from '../../src/ports/store.js';

function repo(initial: Record<string, unknown> = {}): SettingsRepo {
  const map = new Map(Object.entries(initial).map(([k, v]) => [k, JSON.stringify(v)]));
  return {
    get: <T>(key: string) => (map.has(key) ? (JSON.parse(map.get(key)!) as T) : undefined),
    set: (key, value) => void (value === undefined ? map.delete(key) : map.set(key, JSON.stringify(value))),
  };
}

describe('node settings', () => {
  test('addresses: HOST:PORT, [v6]:PORT, an empty host means every interface; anything else says what is allowed', () => {
    expect(parseHostPort('0.0.0.0:7000', 'x')).toEqual({ host: '0.0.0.0', port: 7000 });
    expect(parseHostPort('[::1]:0', 'x')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort(':9', 'x')).toEqual({ host: '0.0.0.0', port: 9 });
    for (const bad of ['7000', 'host:', 'a b:1', 'host:65536', 'http://h:1']) expect(() => parseHostPort(bad, 'The listen address'), bad).toThrow(/The listen address must be HOST:PORT/);
  });

  test('a change is checked key by key; unknown keys are refused by name', () => {
    expect(validateSettings({ listen: ' 10.0.0.2:7000 ', bootstrap: ['a.example:1', ' '] })).toEqual({ listen: '10.0.0.2:7000', bootstrap: ['a.example:1'] });
    expect(() => validateSettings({ api: 'example.org:80' })).toThrow(/this computer only/);
    expect(() => validateSettings({ maxUploadMb: -1 })).toThrow(/from 0 to/);
    expect(() => validateSettings({ speed: 1 })).toThrow(/no setting "speed"/);
  });

  test('a damaged saved value falls back to its default, the others stay', () => {
    const saved = loadSettings(repo({ 'node.settings': { listen: 'garbage', rescanIntervalMinutes: 5 } }));
    expect(saved.listen).toBe(DEFAULT_SETTINGS.listen);
    expect(saved.rescanIntervalMinutes).toBe(5);
  });

  test('start: a flag wins over the saved value and is reported; AGORA_VERSIONS_DAYS too', () => {
    const saved = { ...DEFAULT_SETTINGS, listen: '0.0.0.0:7000', dht: true, versionRetentionDays: 10 };
    const plain = resolveStart({}, saved);
    expect(plain.values.listen).toBe('0.0.0.0:7000');
    expect(plain.overridden).toEqual([]);
    const flagged = resolveStart({ listen: '127.0.0.1:0', noDht: true }, saved, { AGORA_VERSIONS_DAYS: '2' });
    expect(flagged.values).toMatchObject({ listen: '127.0.0.1:0', dht: false, versionRetentionDays: 2 });
    expect(flagged.overridden.sort()).toEqual(['dht', 'listen', 'versionRetentionDays']);
    expect(() => resolveStart({}, saved, { AGORA_VERSIONS_DAYS: 'soon' })).toThrow(/AGORA_VERSIONS_DAYS/);
  });

  test('what waits for a restart: saved restart-only values that differ from the running ones', () => {
    const r = repo();
    const settings = new NodeSettings(r, resolveStart({}, loadSettings(r)));
    expect(settings.view().pendingRestart).toEqual([]);
    const view = settings.update({ mdns: false, maxUploadMb: 5 });
    expect(view.pendingRestart).toEqual(['mdns']);
    expect(settings.maxUploadBytes()).toBe(5 * 1024 * 1024);
    expect(settings.update({ mdns: true }).pendingRestart).toEqual([]);
  });
});
