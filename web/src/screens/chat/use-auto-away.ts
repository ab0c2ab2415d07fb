import { useEffect } from 'react';
import { api } from '../../api.js';

/** How long the page may stay hidden before its member shows as away. */
export const AWAY_AFTER_MS = 5 * 60_000;

/**
 * Away when no page of the app has been looked at for a while, online again when one is: only an
 * away this hook set itself is undone, so an away chosen in the chat view stays.
 */
export function useAutoAway(afterMs = AWAY_AFTER_MS): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wentAway = false;
    const onChange = () => {
      clearTimeout(timer);
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(() => {
          api
            .chat.presence()
            .then(async ({ state }) => {
              if (state !== 'online' || document.visibilityState !== 'hidden') return;
              await api.chat.setPresence('away');
              wentAway = true;
            })
            .catch(() => undefined); // the node is gone or restarting: nothing to show anyone
        }, afterMs);
      } else if (wentAway) {
        wentAway = false;
        void api.chat.setPresence('online').catch(() => undefined);
      }
    };
    document.addEventListener('visibilitychange', onChange);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onChange);
    };
  }, [afterMs]);
}
