import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidNameError } from '../../src/errors/index.js';
import {
  caseFoldKey,
  conflictName,
  isConflictName,
  isTempName,
  parseConflictName,
  tempNameFor,
  validateRelativePath,
  windowsProblem,
} from '../../src/core/sync/names/index.js';

const bytes = (s: string) => Buffer.byteLength(s);
const NFD_E = 'e\u0301'; // 'é' decomposed, as macOS file systems return it
const NFC_E = '\u00e9';

describe('validateRelativePath: accepted', () => {
  const cases: [string, string, string?][] = [
    ['plain file', 'a.txt'],
    ['nested', 'docs/2024/report.pdf'],
    ['dotfile', '.bashrc'],
    ['dot dir inside', 'a/.git/config'],
    ['dots inside a name', 'a..b/...c'],
    ['.agora below the top', 'sub/.agora/x'],
    ['.agora as a prefix only', '.agoraignore'],
    ['.agora-like longer name', '.agorafiles/x'],
    ['spaces', 'My Documents/a b.txt'],
    ['DEL is not C0', 'a\x7fb'],
    ['Windows-only problems are kept', 'CON/aux.txt'],
    ['colon inside', 'a/b:c'],
    ['trailing dot (Windows problem only)', 'a./b '],
    ['emoji', 'photos/🎉.jpg'],
    ['NFD is normalized to NFC', `caf${NFD_E}/r${NFD_E}sum${NFD_E}.txt`, `caf${NFC_E}/r${NFC_E}sum${NFC_E}.txt`],
    ['Hangul jamo compose', '\u1100\u1161', '\uac00'],
    ['NFC stays NFC', `caf${NFC_E}`, `caf${NFC_E}`],
    ['segment of exactly 255 bytes', 'x'.repeat(255)],
    ['path of exactly 4096 bytes', `${'x'.repeat(254)}/`.repeat(16) + 'y'.repeat(16)],
    ['not our temp name (no hash)', '.agora-tmp-notes.txt'],
    ['not our temp name (upper-case hex)', '.agora-tmp-ABCDEF012345-a'],
    ['conflict copies are ordinary files', 'a.sync-conflict-20240102-030405-ABCDEFG.txt'],
  ];
  it.each(cases)('%s: %j', (_name, path, expected) => {
    expect(validateRelativePath(path)).toBe(expected ?? path);
  });
});

describe('validateRelativePath: refused', () => {
  const tempName = tempNameFor('dir/file.txt', 'v1');
  const cases: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['absolute', '/etc/passwd', /absolute/],
    ['root only', '/', /absolute/],
    ['backslash', 'a\\b', /backslash/],
    ['Windows absolute', '\\\\server\\share', /backslash/],
    ['drive letter relative', 'C:x', /drive letter/],
    ['drive letter absolute', 'c:/x', /drive letter/],
    ['dot', '.', /"\." segment/],
    ['dot segment', 'a/./b', /"\." segment/],
    ['dot-dot', '..', /"\.\." segment/],
    ['dot-dot escape', 'a/../../etc', /"\.\." segment/],
    ['leading dot-dot', '../x', /"\.\." segment/],
    ['double slash', 'a//b', /empty segment/],
    ['trailing slash', 'a/b/', /empty segment/],
    ['NUL', 'a\0b', /control character/],
    ['newline', 'a\nb', /control character/],
    ['tab', 'a\tb', /control character/],
    ['escape', 'a\x1bb', /control character/],
    ['lone surrogate', 'a\ud800b', /Unicode/],
    ['segment of 256 bytes', 'x'.repeat(256), /longer than 255 bytes/],
    ['segment of 128 two-byte chars', `d/${NFC_E.repeat(128)}`, /longer than 255 bytes/],
    ['path over 4096 bytes', `${'x'.repeat(200)}/`.repeat(21), /longer than 4096 bytes/],
    ['engine dir', '.agora', /reserved/],
    ['inside engine dir', '.agora/db.sqlite', /reserved/],
    ['engine dir in upper case', '.AGORA/x', /reserved/],
    ['engine dir with a trailing dot', '.agora./x', /reserved/],
    ['engine dir with a trailing space', '.agora /x', /reserved/],
    ['engine temp file', tempName, /temporary file/],
    ['engine temp name as a dir', `a/${tempName.slice(4)}/b`, /temporary file/],
  ];
  it.each(cases)('%s: %j', (_name, path, reason) => {
    let error: unknown;
    try {
      validateRelativePath(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidNameError);
    const err = error as InvalidNameError;
    expect(err.code).toBe('INVALID_NAME');
    expect(err.message).toMatch(reason);
    expect(err.message).toContain(JSON.stringify(path.slice(0, 50)).slice(0, -1));
    expect(err.details).toMatchObject({ path });
  });

  it('shows control characters escaped in the message', () => {
    expect(() => validateRelativePath('a\0b')).toThrow('"a\\u0000b"');
  });
});

describe('windowsProblem', () => {
  const cases: [string, RegExp | null][] = [
    ['a/b.txt', null],
    ['CONSOLE.txt', null],
    ['con2', null],
    ['COM10', null],
    ['LPT', null],
    ['xNUL', null],
    ['CON', /reserved device name/],
    ['con', /reserved device name/],
    ['dir/Aux.txt', /reserved device name/],
    ['nul.tar.gz', /reserved device name/],
    ['PRN', /reserved device name/],
    ['com1', /reserved device name/],
    ['COM9.log', /reserved device name/],
    ['COM0', /reserved device name/],
    ['LPT1', /reserved device name/],
    ['lpt9.txt', /reserved device name/],
    ['COM¹', /reserved device name/],
    ['CON/file', /reserved device name/],
    ['a<b', /"<"/],
    ['a>b', /">"/],
    ['time 12:00', /":"/],
    ['say "hi"', /"""/],
    ['a|b', /"\|"/],
    ['why?', /"\?"/],
    ['star*', /"\*"/],
    ['dir./x', /ends with a dot or a space/],
    ['file.', /ends with a dot or a space/],
    ['file ', /ends with a dot or a space/],
    [' leading space is fine', null],
  ];
  it.each(cases)('%j', (path, expected) => {
    const problem = windowsProblem(path);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('caseFoldKey', () => {
  const same: [string, string][] = [
    ['Readme.md', 'README.MD'],
    ['Docs/A.txt', 'docs/a.txt'],
    [`Caf${NFD_E}`, `CAF${NFC_E.toUpperCase()}`],
    ['ÄÖÜ', 'äöü'],
  ];
  const different: [string, string][] = [
    ['a/b', 'a-b'],
    ['file1', 'file2'],
    ['a.txt', 'a.txt '],
  ];
  it.each(same)('%j and %j collide', (a, b) => expect(caseFoldKey(a)).toBe(caseFoldKey(b)));
  it.each(different)('%j and %j do not', (a, b) => expect(caseFoldKey(a)).not.toBe(caseFoldKey(b)));
});

describe('temp names', () => {
  it('puts the temp file in the same directory, with a deterministic name', () => {
    const hash = createHash('sha256').update('v1report.pdf').digest('hex').slice(0, 12);
    expect(tempNameFor('docs/report.pdf', 'v1')).toBe(`docs/.agora-tmp-${hash}-report.pdf`);
    expect(tempNameFor('docs/report.pdf', 'v1')).toBe(tempNameFor('docs/report.pdf', 'v1'));
    expect(tempNameFor('report.pdf', 'v1')).toBe(`.agora-tmp-${hash}-report.pdf`);
  });

  it('changes with the version and the name', () => {
    const names = new Set([tempNameFor('a/x', 'v1'), tempNameFor('a/x', 'v2'), tempNameFor('a/y', 'v1')]);
    expect(names.size).toBe(3);
  });

  const lengthCases: [string, string][] = [
    ['ASCII', 'a'.repeat(255)],
    ['two-byte chars', NFC_E.repeat(127)],
    ['four-byte chars', '🎉'.repeat(63)],
    ['three-byte chars', '日'.repeat(85)],
  ];
  it.each(lengthCases)('truncates a long basename of %s to 255 bytes, between code points', (_name, basename) => {
    const temp = tempNameFor(`dir/${basename}`, 'v1');
    const segment = temp.slice('dir/'.length);
    expect(bytes(segment)).toBeLessThanOrEqual(255);
    expect(bytes(segment)).toBeGreaterThan(250);
    expect(segment).not.toContain('\ufffd');
    expect(basename.startsWith(segment.slice(24))).toBe(true);
    expect(isTempName(segment)).toBe(true);
    expect(() => validateRelativePath(temp)).toThrow(/temporary file/);
  });

  it('keeps two long names that share their start apart', () => {
    const a = tempNameFor(`${'x'.repeat(250)}-a`, 'v1');
    const b = tempNameFor(`${'x'.repeat(250)}-b`, 'v1');
    expect(a).not.toBe(b);
  });

  it('drops trailing dots and spaces left by truncation', () => {
    const temp = tempNameFor(`${'x'.repeat(229)}. tail`, 'v1');
    expect(temp.endsWith('x')).toBe(true);
  });

  const recognised: [string, boolean][] = [
    [tempNameFor('a', 'k'), true],
    ['.agora-tmp-0123456789ab-file', true],
    ['.agora-tmp-0123456789ab-', false],
    ['.agora-tmp-0123456789a-file', false],
    ['.agora-tmp-notes.txt', false],
    ['agora-tmp-0123456789ab-file', false],
    ['x.agora-tmp-0123456789ab-file', false],
  ];
  it.each(recognised)('isTempName(%j) = %s', (name, expected) => expect(isTempName(name)).toBe(expected));
});

describe('conflict names', () => {
  const t = Date.UTC(2024, 0, 2, 3, 4, 5, 678); // 2024-01-02 03:04:05.678 UTC
  const dev = 'abcdefg0123456789';
  const cases: [string, string][] = [
    ['a.txt', 'a.sync-conflict-20240102-030405-ABCDEFG.txt'],
    ['dir/sub/photo.JPG', 'dir/sub/photo.sync-conflict-20240102-030405-ABCDEFG.JPG'],
    ['archive.tar.gz', 'archive.tar.sync-conflict-20240102-030405-ABCDEFG.gz'],
    ['.bashrc', '.bashrc.sync-conflict-20240102-030405-ABCDEFG'],
    ['home/.config.json', 'home/.config.sync-conflict-20240102-030405-ABCDEFG.json'],
    ['Makefile', 'Makefile.sync-conflict-20240102-030405-ABCDEFG'],
    ['v1.2/notes', 'v1.2/notes.sync-conflict-20240102-030405-ABCDEFG'],
    ['odd.', 'odd.sync-conflict-20240102-030405-ABCDEFG.'],
    [`caf${NFC_E}.md`, `caf${NFC_E}.sync-conflict-20240102-030405-ABCDEFG.md`],
  ];
  it.each(cases)('%j -> %j, and back', (path, expected) => {
    const name = conflictName(path, t, dev);
    expect(name).toBe(expected);
    expect(validateRelativePath(name)).toBe(name);
    expect(isConflictName(name)).toBe(true);
    expect(parseConflictName(name)).toEqual({ original: path, time: Date.UTC(2024, 0, 2, 3, 4, 5), device: 'ABCDEFG' });
    expect(isConflictName(path)).toBe(false);
  });

  it('uses UTC and pads every field', () => {
    expect(conflictName('f', Date.UTC(1999, 11, 31, 23, 59, 59), '0000000')).toBe('f.sync-conflict-19991231-235959-0000000');
    expect(conflictName('f', 0, 'zzzzzzz')).toBe('f.sync-conflict-19700101-000000-ZZZZZZZ');
  });

  it('parses a conflict copy of a conflict copy to the copy it was made from', () => {
    const once = conflictName('a.txt', t, dev);
    const twice = conflictName(once, t + 86_400_000, 'FEDCBA9');
    expect(parseConflictName(twice)).toEqual({ original: once, time: Date.UTC(2024, 0, 3, 3, 4, 5), device: 'FEDCBA9' });
  });

  it('keeps the copy of a long name within 255 bytes, extension included', () => {
    const long = `d/${'n'.repeat(240)}.txt`;
    const name = conflictName(long, t, dev);
    expect(bytes(name.slice(2))).toBe(255);
    expect(name.endsWith('-ABCDEFG.txt')).toBe(true);
    expect(validateRelativePath(name)).toBe(name);
    expect(parseConflictName(name)?.original.startsWith('d/nnn')).toBe(true);

    const longExt = `x.${'e'.repeat(250)}`;
    expect(bytes(conflictName(longExt, t, dev))).toBe(255);
  });

  const notConflicts: string[] = [
    'a.txt',
    'a.sync-conflict-2024010-030405-ABCDEFG.txt',
    'a.sync-conflict-20240102-030405-abcdefg.txt',
    'a.sync-conflict-20240102-030405-ABCDEF.txt',
    'a.sync-conflict-20241302-030405-ABCDEFG.txt',
    'a.sync-conflict-20240230-030405-ABCDEFG.txt',
    'a.sync-conflict-20240102-250405-ABCDEFG.txt',
    '.sync-conflict-20240102-030405-ABCDEFG.txt',
    'a.sync-conflict-20240102-030405-ABCDEFG.txt/inside',
    'a.sync-conflict-20240102-030405-ABCDEFG.tar.gz',
  ];
  it.each(notConflicts)('%j is not a conflict copy', (path) => {
    expect(parseConflictName(path)).toBeNull();
    expect(isConflictName(path)).toBe(false);
  });

  const badInputs: [string, number, string][] = [
    ['short device id', t, 'abc'],
    ['device id with symbols', t, 'ab-cdefgh'],
    ['NaN time', Number.NaN, dev],
    ['infinite time', Number.POSITIVE_INFINITY, dev],
    ['year 10000', Date.UTC(10000, 0, 1), dev],
    ['negative year', Date.UTC(-1, 0, 1), dev],
  ];
  it.each(badInputs)('refuses a %s', (_name, time, device) => {
    expect(() => conflictName('a.txt', time, device)).toThrow(InvalidNameError);
  });
});
