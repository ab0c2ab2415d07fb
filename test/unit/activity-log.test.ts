import { describe, expect, test } from 'vitest';
import { EventBus } from '../../src/core/events.js';
import { ActivityLog, type ActivitySource } from '../../src/node/activity-log.js';
import type { Role } from '../../src/ports/store.js';

function setup(limit = 500) {
  let now = 1_000_000;
  const events = new EventBus();
  const members = new Map<string, { memberId: string; name: string; role: Role; self: boolean }[]>([['s1', [{ memberId: 'me', name: 'Me', role: 'admin', self: true }]]]);
  const source: ActivitySource = {
    events,
    now: () => now,
    spaceIds: () => [...members.keys()],
    spaceName: (id) => (id === 's1' ? 'Acme' : undefined),
    members: (id) => {
      const list = members.get(id);
      if (!list) throw new Error('no such space');
      return list;
    },
    folder: (id) => (id === 'f1' ? { name: 'Docs', spaceId: 's1' } : undefined),
  };
  const log = new ActivityLog(source, limit);
  log.start();
  return { log, events, members, advance: (ms: number) => (now += ms) };
}

describe('activity log', () => {
  test('joins, roles and removals are told apart by comparing the members before and after a change', () => {
    const { log, events, members } = setup();
    members.set('s1', [...members.get('s1')!, { memberId: 'bob', name: 'Bob', role: 'member', self: false }]);
    events.emit('space.changed', { spaceId: 's1' });
    members.set('s1', [members.get('s1')![0]!, { memberId: 'bob', name: 'Bob', role: 'admin', self: false }]);
    events.emit('space.changed', { spaceId: 's1' });
    members.set('s1', [members.get('s1')![0]!]);
    events.emit('space.changed', { spaceId: 's1' });
    expect(log.list().map((i) => `${i.type} ${i.name ?? i.deviceId} ${i.role ?? ''}`.trim())).toEqual(['member.removed bob', 'member.role Bob admin', 'member.joined Bob member']);
    expect(log.list()[0]).toMatchObject({ spaceName: 'Acme' });
  });

  test('a burst of files pulled into one folder is one item that grows, with the same id', () => {
    const { log, events, advance } = setup();
    const seen: number[] = [];
    log.onItem((i) => seen.push(i.id));
    for (const path of ['a', 'b', 'c']) {
      events.emit('folder.pulled', { folderId: 'f1', path, deleted: false });
      advance(1000);
    }
    advance(10_000);
    events.emit('folder.pulled', { folderId: 'f1', path: 'd', deleted: false });
    const [later, burst] = log.list();
    expect(burst).toMatchObject({ type: 'folder.pulled', folderName: 'Docs', spaceName: 'Acme', count: 3, path: 'c' });
    expect(later).toMatchObject({ count: 1, path: 'd' });
    expect(seen).toEqual([1, 1, 1, 2]);
  });

  test('keeps only the last `limit` items; progress and peer noise are not kept', () => {
    const { log, events } = setup(3);
    events.emit('folder.progress', { folderId: 'f1', files: 1, bytes: 1, totalFiles: 2, totalBytes: 2 });
    events.emit('peer.connected', { deviceId: 'x', transport: 'tcp', direct: true });
    for (const path of ['1', '2', '3', '4']) events.emit('folder.conflict', { folderId: 'f1', path, copy: `${path}.conflict` });
    expect(log.list().map((i) => i.path)).toEqual(['4', '3', '2']);
  });
});
