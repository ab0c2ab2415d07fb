import type { DecodedEntry } from '../../protocol/index.js';
import type { SpaceState } from './space-state.js';

/**
 * What part of a space's log a guest may hold. The firm (admins, members, keepers) holds the
 * whole log; a guest gets in full only the entries about:
 * - the space itself (create, rename) and the keepers' endpoints;
 * - itself, the firm's people (anyone who was ever more than a guest), and whoever shares a
 *   private chat channel with it (it learns their names there by design);
 * - the folders it was ever shown (a grant to it, or to guests as a role), and their grants to
 *   roles and to the people above;
 * - the private channels it was ever in;
 * - for a member made a guest: everyone and everything it knew then (it held the whole log).
 * Every other entry reaches it only as a stub: its id and its parents' ids, which are hashes and
 * say nothing about what the entry is, who wrote it or whom it concerns. The stubs keep the
 * causal order whole, so the guest replays its part exactly as the firm replays the whole log:
 * each entry it holds needs only the authority of entries it also holds (see test/unit/guest-view.test.ts).
 *
 * Decided on the sender's current state, so what a guest may hold grows with its grants (the
 * guest asks again for the full entries behind its stubs whenever it takes in a new entry).
 */
export type EntryFilter = (entry: DecodedEntry) => boolean;

/** Null when `viewer` may hold the whole log; else which entries it may hold in full. */
export function guestFilter(state: SpaceState, viewer: string): EntryFilter | null {
  const role = state.roleOf(viewer);
  if (role !== null && role !== 'guest') return null;
  const people = new Set<string>([viewer]);
  for (const m of state.members.values()) if (m.everStaff) people.add(m.memberId);
  const channels = new Set<string>();
  for (const c of state.channels.values()) {
    if (c.members === null || !c.everMembers.has(viewer)) continue;
    channels.add(c.channelId);
    for (const m of c.everMembers) people.add(m);
  }
  const folders = new Set<string>();
  for (const f of state.folders.values()) if (f.guestsEverIn || f.everGranted.has(viewer)) folders.add(f.folderId);
  const knew = state.members.get(viewer)?.knewAsStaff;
  if (knew) {
    for (const id of knew.members) people.add(id);
    for (const id of knew.folders) folders.add(id);
    for (const id of knew.channels) channels.add(id);
  }

  return (entry) => {
    const { author, body } = entry.content;
    if (!people.has(author)) return false;
    switch (body.type) {
      case 'space.create':
      case 'space.rename':
      case 'keeper.endpoint':
      case 'member.leave':
      case 'member.rename':
        return true;
      case 'member.add':
      case 'member.role':
      case 'member.remove':
        return people.has(body.member);
      case 'folder.add':
      case 'folder.remove':
        return folders.has(body.folder);
      case 'folder.grant':
        return folders.has(body.folder) && (body.to === 'members' || body.to === 'guests' || people.has(body.to));
      case 'channel.add':
      case 'channel.member':
        return channels.has(body.channel);
    }
  };
}
