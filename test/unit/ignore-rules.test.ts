import { describe, expect, it } from 'vitest';
import { IgnoreRules, tempNameFor } from '../../src/core/sync/names/index.js';

type Case = [path: string, isDir: boolean, ignored: boolean];

function check(rules: IgnoreRules, cases: Case[]): void {
  for (const [path, isDir, ignored] of cases) {
    expect({ path, isDir, ignored: rules.ignores(path, isDir) }).toEqual({ path, isDir, ignored });
  }
}

describe('IgnoreRules: always ignored', () => {
  const temp = tempNameFor('docs/report.pdf', 'v1');
  const cases: Case[] = [
    ['.DS_Store', false, true],
    ['photos/.DS_Store', false, true],
    ['photos/.ds_store', false, true],
    ['Thumbs.db', false, true],
    ['pics/thumbs.db', false, true],
    ['desktop.ini', false, true],
    ['a/Desktop.ini', false, true],
    ['~$report.docx', false, true],
    ['docs/~$budget.xlsx', false, true],
    ['.~lock.report.odt#', false, true],
    ['docs/.~lock.sheet.ods#', false, true],
    [temp, false, true],
    ['.agora-tmp-0123456789ab-x', false, true],
    ['.agora', true, true],
    ['.agora/state.db', false, true],
    ['.AGORA/state.db', false, true],
    ['a/Thumbs.db/inside', false, true],
    // Near misses stay synced.
    ['work.tmp', false, false],
    ['cache.TMP', false, false],
    ['sub/.agora', true, false],
    ['sub/.agora/x', false, false],
    ['.agorafiles', true, false],
    ['.agora-tmp-notes.txt', false, false],
    ['my.DS_Store.txt', false, false],
    ['a~$b.docx', false, false],
    ['.~lock.report.odt', false, false],
    ['Thumbs.db.bak', false, false],
    ['.agoraignore', false, false],
    ['notes.txt', false, false],
  ];
  it('applies without any .agoraignore', () => check(IgnoreRules.parse(''), cases));
  it('cannot be undone by negations', () => {
    check(IgnoreRules.parse('!.DS_Store\n!Thumbs.db\n!.agora\n!.agora/\n!~$*\n'), cases);
  });
});

describe('IgnoreRules: .agoraignore patterns', () => {
  const text = [
    '# build output',
    'build/',
    '*.log',
    '!keep.log',
    '/secret.txt',
    'docs/**/draft-*',
    'node_modules',
    '\\#literal',
    '  ',
    '*.bak   ',
    `caf\u0065\u0301/`, // NFD, as typed on a Mac
    '.*',
  ].join('\n');
  const rules = IgnoreRules.parse(text);
  const cases: Case[] = [
    ['build', true, true],
    ['build/out.js', false, true],
    ['src/build', true, true],
    ['src/build/x/y.o', false, true],
    ['build', false, false], // 'build/' matches directories only
    ['app.log', false, true],
    ['logs/2024/app.log', false, true],
    ['keep.log', false, false],
    ['secret.txt', false, true],
    ['sub/secret.txt', false, false], // anchored to the root
    ['docs/a/b/draft-1.md', false, true],
    ['docs/draft-2.md', false, true],
    ['other/draft-3.md', false, false],
    ['node_modules', true, true],
    ['pkg/node_modules/x/index.js', false, true],
    ['#literal', false, true],
    ['x.bak', false, true], // trailing spaces of a pattern are dropped
    [`caf\u00e9`, true, true],
    [`caf\u00e9/menu.txt`, false, true],
    ['.env', false, true],
    ['.agoraignore', false, false], // always synced, even under '.*'
    ['sub/.agoraignore', false, true], // nested ones are ordinary files
    ['App.LOG', false, false], // case-sensitive on every platform
    ['Build/x', false, false],
    ['readme.md', false, false],
  ];
  it.each(cases)('%j (dir: %s) -> %s', (path, isDir, ignored) => {
    expect(rules.ignores(path, isDir)).toBe(ignored);
  });
});

describe('IgnoreRules: file formats', () => {
  const variants: [string, string][] = [
    ['LF', '*.log\nbuild/\n'],
    ['CRLF', '*.log\r\nbuild/\r\n'],
    ['BOM', '\ufeff*.log\nbuild/'],
    ['comments and blanks', '# x\n\n*.log\n\n# y\nbuild/\n'],
  ];
  it.each(variants)('%s', (_name, text) => {
    check(IgnoreRules.parse(text), [
      ['a.log', false, true],
      ['build', true, true],
      ['src/main.ts', false, false],
    ]);
  });

  it('a file of comments and blank lines only ignores nothing beyond the fixed rules', () => {
    check(IgnoreRules.parse('# nothing here yet\n\n   \n#*.log\n'), [
      ['a.log', false, false],
      ['build', true, false],
      ['.DS_Store', false, true],
    ]);
  });

  it('matches paths given in NFD as their NFC form', () => {
    const rules = IgnoreRules.parse(`r\u00e9sum\u00e9.pdf`);
    expect(rules.ignores(`r\u0065\u0301sum\u0065\u0301.pdf`, false)).toBe(true);
  });
});
