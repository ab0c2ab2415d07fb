import { describe, expect, it } from 'vitest';
import { recordProblem } from '../../src/core/sync/record-check.js';
import type { FileRecord } from '../../src/protocol/index.js';

const dev = 'a'.repeat(64);
const ok: FileRecord = {
  path: 'docs/report.pdf',
  type: 'file',
  size: 10,
  mtimeMs: 1_700_000_000_000,
  mode: 0o644,
  deleted: false,
  version: [{ device: dev, value: 1 }],
  modifiedBy: dev,
  sequence: 1,
  sig: Buffer.alloc(64, 7),
  blocks: [{ hash: Buffer.alloc(32, 1), size: 10 }],
  at: ['1'.repeat(64), 'f'.repeat(64)],
};

describe('records from peers are checked before they reach the index', () => {
  const cases: [string, Partial<FileRecord>, RegExp | null][] = [
    ['a good record', {}, null],
    ['parent escape', { path: '../etc/passwd' }, /\.\./],
    ['escape in the middle', { path: 'a/../../x' }, /\.\./],
    ['absolute path', { path: '/etc/passwd' }, /absolute/i],
    ['drive letter', { path: 'C:/Windows/win.ini' }, /drive/i],
    ['backslash', { path: 'a\\..\\b' }, /backslash/i],
    ['NUL', { path: 'a\u0000b' }, /control|NUL/i],
    ['engine dir', { path: '.agora/versions/x' }, /reserved|\.agora/i],
    ['not NFC', { path: 'cafe\u0301.txt' }, /NFC/],
    ['sizes do not add up', { size: 11 }, /add up/],
    ['huge block', { size: 2 * 1024 * 1024, blocks: [{ hash: Buffer.alloc(32), size: 2 * 1024 * 1024 }] }, /block size/],
    ['empty version', { version: [] }, /version/],
    ['unsorted version', { version: [{ device: 'b'.repeat(64), value: 1 }, { device: dev, value: 2 }] }, /version/],
    ['not signed', { sig: Buffer.alloc(0) }, /not signed/],
    ['one log entry', { at: ['0'.repeat(64)] }, null],
    ['the most log entries', { at: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(64, '0')) }, null],
    ['no log point', { at: [] }, /no log point/],
    ['too many log entries', { at: Array.from({ length: 33 }, (_, i) => i.toString(16).padStart(64, '0')) }, /too many/],
    ['log entry id too short', { at: ['a'.repeat(63)] }, /malformed log point/],
    ['log entry id not hex', { at: ['g'.repeat(64)] }, /malformed log point/],
    ['log entry id in upper case', { at: ['A'.repeat(64)] }, /malformed log point/],
    ['log point not sorted', { at: ['f'.repeat(64), '1'.repeat(64)] }, /not sorted/],
    ['log point repeats an entry', { at: ['1'.repeat(64), '1'.repeat(64)] }, /repeats/],
    ['directory with blocks', { type: 'dir' }, /no blocks/],
    ['deleted with blocks', { deleted: true }, /no blocks/],
  ];
  for (const [name, patch, problem] of cases) {
    it(name, () => {
      const got = recordProblem({ ...ok, ...patch });
      if (problem === null) expect(got).toBeNull();
      else expect(got).toMatch(problem);
    });
  }
});
