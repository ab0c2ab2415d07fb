import type Database from 'better-sqlite3';

/**
 * The text_ids table (migration 8): folder and device ids (64 hex characters) stored once and
 * referred to by a small integer, so that a row and its indexes do not repeat them. The file
 * history of 100k files held about 380 bytes of ids per row, counting its two indexes.
 *
 * Lookups are cached: the history asks for the same few ids for every record of a batch. An id
 * added in a transaction that then rolls back is gone, and the next new text may get its number,
 * so whoever runs a transaction that may add ids calls forget() when it fails (file-history.ts,
 * Store.transaction in index.ts).
 */
export interface TextIds {
  /** The id of `text`, added if new. */
  idOf(text: string): number;
  /** The id of `text` if stored. */
  findId(text: string): number | undefined;
  textOf(id: number): string;
  /** Drops the cache (after a rollback). */
  forget(): void;
}

export function createTextIds(db: Database.Database): TextIds {
  const find = db.prepare<[string], number>('SELECT id FROM text_ids WHERE text = ?').pluck();
  const add = db.prepare<[string]>('INSERT INTO text_ids (text) VALUES (?)');
  const text = db.prepare<[number], string>('SELECT text FROM text_ids WHERE id = ?').pluck();
  let ids = new Map<string, number>();
  let texts = new Map<number, string>();
  const findId = (t: string): number | undefined => {
    let id = ids.get(t);
    if (id === undefined) {
      id = find.get(t);
      if (id !== undefined) ids.set(t, id);
    }
    return id;
  };
  return {
    findId,
    idOf: (t) => {
      let id = findId(t);
      if (id === undefined) {
        id = Number(add.run(t).lastInsertRowid);
        ids.set(t, id);
      }
      return id;
    },
    textOf: (id) => {
      let t = texts.get(id);
      if (t === undefined) {
        t = text.get(id);
        if (t === undefined) throw new Error(`text_ids has no id ${id}`);
        texts.set(id, t);
      }
      return t;
    },
    forget: () => {
      ids = new Map();
      texts = new Map();
    },
  };
}

/** A version vector's text (`device:value,…`) with each device as its id, and back. */
export function compactVersion(version: string, idOf: (device: string) => number | undefined): string | undefined {
  if (version === '') return '';
  const out: string[] = [];
  for (const entry of version.split(',')) {
    const colon = entry.lastIndexOf(':');
    const id = idOf(colon < 0 ? entry : entry.slice(0, colon));
    if (id === undefined) return undefined;
    out.push(colon < 0 ? `${id}` : `${id}${entry.slice(colon)}`);
  }
  return out.join(',');
}

export function expandVersion(compact: string, textOf: (id: number) => string): string {
  if (compact === '') return '';
  return compact
    .split(',')
    .map((entry) => {
      const colon = entry.indexOf(':');
      return colon < 0 ? textOf(Number(entry)) : `${textOf(Number(entry.slice(0, colon)))}${entry.slice(colon)}`;
    })
    .join(',');
}
