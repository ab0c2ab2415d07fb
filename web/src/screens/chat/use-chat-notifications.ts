import { useEffect, useRef } from 'react';
import type { ChatMessageEvent } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { useEvents, useLive } from '../../live.js';
import { navigate } from '../../route.js';
import { chatEvent } from './chat-target.js';

const PREF = 'agora.chat.notifications';
/** Messages that arrive together (a peer's backlog) make one notification per conversation. */
const GATHER_MS = 800;

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

/** The browser allows them and this browser's user did not turn them off. */
export function notificationsWanted(): boolean {
  return notificationsSupported() && Notification.permission === 'granted' && localStorage.getItem(PREF) !== 'off';
}

export function setNotificationsWanted(on: boolean): void {
  localStorage.setItem(PREF, on ? 'on' : 'off');
}

interface Gathered {
  spaceId: string;
  channelId: string;
  last: string;
  count: number;
}

/**
 * A browser notification for messages from others that arrive while the page is hidden;
 * clicking it opens the conversation. Permission is asked for in the chat view, never here.
 */
export function useChatNotifications(): void {
  const status = useLive((signal) => api.status(signal), 'status', () => false);
  const self = status.data?.deviceId;
  const pending = useRef(new Map<string, Gathered>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(timer.current), []);

  const flush = () => {
    timer.current = undefined;
    const batch = [...pending.current.values()];
    pending.current.clear();
    for (const g of batch) {
      api.chat.message(g.spaceId, g.last, g.channelId).then(
        (m) => {
          if (!notificationsWanted() || document.visibilityState === 'visible') return;
          const body = m.text || m.attachments.map((a) => a.name).join(', ');
          const title = g.count > 1 ? `${g.count} new messages in ${m.channel}` : m.channel.startsWith('@') ? m.authorName : `${m.authorName} in #${m.channel}`;
          const n = new Notification(title, { body: g.count > 1 ? `${m.authorName}: ${body}` : body, tag: `agora-${g.channelId}` });
          n.onclick = () => {
            window.focus();
            navigate({ screen: 'chat', spaceId: g.spaceId, channel: m.channel.startsWith('@') ? `@${m.author}` : g.channelId });
            n.close();
          };
        },
        () => undefined, // deleted meanwhile, or the node went away: nothing to tell
      );
    }
  };

  useEvents(
    (e) => chatEvent(e)?.kind === 'post',
    (e) => {
      const d = e.data as ChatMessageEvent;
      if (!self || d.author === self || document.visibilityState === 'visible' || !notificationsWanted()) return;
      const known = pending.current.get(d.channelId);
      pending.current.set(d.channelId, { spaceId: d.spaceId, channelId: d.channelId, last: d.messageId, count: (known?.count ?? 0) + 1 });
      timer.current ??= setTimeout(flush, GATHER_MS);
    },
  );
}
