import type Database from 'better-sqlite3';
import type { SettingsRepo } from '../../ports/store.js';

export function createSettingsRepo(db: Database.Database): SettingsRepo {
  const get = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const set = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const del = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');

  return {
    get: <T>(key: string): T | undefined => {
      const text = get.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    set: (key, value) => {
      // JSON has no `undefined`: setting it means "no value", as get() reports for a missing key.
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) del.run(key);
      else set.run(key, text);
    },
  };
}
