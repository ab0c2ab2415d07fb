import type Database from 'better-sqlite3';

/**
 * PRAGMAs without throw-away statements. db.pragma() prepares a new Statement on every call, and
 * when GC collects one, better-sqlite3 12 built against Node >= 24.19 headers aborts the process
 * (nodejs/node#65446, see docs/ci.md). Setters go through exec(), which creates no Statement
 * object; reads keep their statement for as long as the database object lives.
 */
const kept = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function setPragma(db: Database.Database, assignment: string): void {
  db.exec(`PRAGMA ${assignment}`);
}

/** The first column of the pragma's first row, like db.pragma(source, { simple: true }). */
export function readPragma(db: Database.Database, source: string): unknown {
  let statements = kept.get(db);
  if (!statements) kept.set(db, (statements = new Map()));
  let statement = statements.get(source);
  if (!statement) statements.set(source, (statement = db.prepare(`PRAGMA ${source}`).pluck()));
  return statement.get();
}
