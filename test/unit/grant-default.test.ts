import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto.js';
import { createEntry } from '../../src/core/spaces/entries.js';
import { replay } from '../../src/core/spaces/replay.js';
import { commitName, type DecodedEntry, type LogBody } from '../../src/protocol/index.js';
import type { KeyPair } from '../../src/ports/network.js';

/** `folder.grant … access: default` takes one member's own grant away: its role's default applies again. */
describe('a grant back to the role default', () => {
  const admin = generateKeyPair();
  const bob = generateKeyPair();
  const gina = generateKeyPair();
  const id = (k: KeyPair) => k.publicKey.toString('hex');
  const folder = 'f1'.repeat(32);

  function log(...bodies: LogBody[]) {
    const g = createEntry(admin, { space: null, parents: [], body: { type: 'space.create', name: 'Acme', creatorName: commitName('Alice').ref }, time: 1 });
    const entries: DecodedEntry[] = [g];
    for (const body of [
      { type: 'member.add', member: id(bob), name: commitName('Bob').ref, role: 'member', invite: null },
      { type: 'member.add', member: id(gina), name: commitName('Gina').ref, role: 'guest', invite: null },
      { type: 'folder.add', folder, name: commitName('Orders').ref, access: { members: 'read', guests: 'none' } },
      ...bodies,
    ] as LogBody[]) {
      entries.push(createEntry(admin, { space: g.id, parents: [entries.at(-1)!.id], body, time: entries.length + 1 }));
    }
    return { result: replay(g.id, entries), last: entries.at(-1)! };
  }

  it('a member and a guest with grants of their own go back to their role defaults', () => {
    const { result } = log(
      { type: 'folder.grant', folder, to: id(bob), access: 'write' },
      { type: 'folder.grant', folder, to: id(gina), access: 'read' },
      { type: 'folder.grant', folder, to: id(bob), access: 'default' },
      { type: 'folder.grant', folder, to: id(gina), access: 'default' },
    );
    expect(result.rejected.size).toBe(0);
    expect(result.state.accessOf(folder, id(bob))).toBe('read');
    expect(result.state.accessOf(folder, id(gina))).toBe('none');
    expect(result.state.folders.get(folder)!.grants.size).toBe(0);
  });

  it('a role default cannot be "default"', () => {
    for (const to of ['members', 'guests'] as const) {
      const { result, last } = log({ type: 'folder.grant', folder, to, access: 'default' });
      expect(result.rejected.get(last.id)).toMatch(/none, read or write/);
      expect(result.state.folders.get(folder)!.access).toEqual({ members: 'read', guests: 'none' });
    }
  });
});
