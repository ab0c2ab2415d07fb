import type { ChannelSummary, ChatMessageEvent, EventMessage, Member, Presence } from '../../../../src/contract/api.js';

/** One conversation: a channel (name or id), or the direct one with a member. */
export type ChatTarget = { channel: string } | { with: string };

export const GENERAL = 'general';

/** The route's channel part: `@memberId` is the direct conversation with that member, '' is general. */
export function targetOf(param: string): ChatTarget {
  if (param.startsWith('@')) return { with: param.slice(1) };
  return { channel: param || GENERAL };
}

/**
 * The conversation to open when none is named: general, else (guests are not in general) the
 * first one listed; '' when there is none, null while the list loads.
 */
export function defaultParam(list: readonly ChannelSummary[] | undefined): string | null {
  if (!list) return null;
  const first = list.find((c) => c.kind === 'general') ?? list.find((c) => c.kind !== 'direct') ?? list[0];
  return first ? paramOf(first) : '';
}

/** What the route says for a conversation in the list. */
export function paramOf(c: ChannelSummary): string {
  return c.kind === 'direct' && c.with ? `@${c.with}` : c.channelId;
}

/** The listed conversation a target names, if it exists yet (a new direct one does not). */
export function findChannel(list: readonly ChannelSummary[] | undefined, target: ChatTarget): ChannelSummary | undefined {
  if (!list) return undefined;
  if ('with' in target) return list.find((c) => c.kind === 'direct' && c.with === target.with);
  return list.find((c) => c.channelId === target.channel) ?? list.find((c) => c.kind !== 'direct' && c.name === target.channel);
}

/** Online, away or offline; nodes that do not report chat presence yet only say online or not. */
export function presenceOf(m: Pick<Member, 'online' | 'presence'> | undefined): Presence {
  if (!m) return 'offline';
  return m.presence ?? (m.online ? 'online' : 'offline');
}

export function chatEvent(e: EventMessage): ChatMessageEvent | null {
  return e.type === 'chat.message' ? (e.data as ChatMessageEvent) : null;
}

/** Events that change who is in a space or how they are: renames, joins, presence. */
export function aboutPeople(spaceId: string) {
  return (e: EventMessage): boolean => {
    if (e.type === 'chat.presence') return true;
    if (e.type === 'space.changed') return (e.data as { spaceId?: string } | null)?.spaceId === spaceId;
    if (e.type === 'member.online' || e.type === 'member.offline') return (e.data as { spaceIds?: string[] } | null)?.spaceIds?.includes(spaceId) ?? false;
    return false;
  };
}
