import { Switch } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ChatPresenceEvent } from '../../../../src/contract/api.js';
import { api, problemOf, type Problem } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useLive } from '../../live.js';

/** This device's own presence, as the others see it: online, or away when the user says so. */
export function OwnStatus({ selfId }: { selfId: string | undefined }) {
  const presence = useLive((signal) => api.chat.presence(signal), 'chat-presence', (e) => e.type === 'chat.presence' && (e.data as ChatPresenceEvent).deviceId === selfId);
  const [problem, setProblem] = useState<Problem | null>(null);
  // What the user just chose shows at once, until the node's next answer replaces it.
  const [chosen, setChosen] = useState<{ away: boolean; basis: unknown } | null>(null);
  const reload = presence.reload;
  const away = chosen && chosen.basis === presence.data ? chosen.away : presence.data?.state === 'away';

  // The page may have gone away by itself while hidden (see use-auto-away.ts).
  useEffect(() => {
    const onVisible = () => document.visibilityState === 'visible' && reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [reload]);

  const set = (next: boolean) => {
    setChosen({ away: next, basis: presence.data });
    setProblem(null);
    api.chat.setPresence(next ? 'away' : 'online').then(reload, (err: unknown) => {
      setChosen(null);
      setProblem(problemOf(err));
    });
  };

  return (
    <>
      <Switch
        label="Show me as away"
        description="Others see you as away until you switch this off."
        checked={away}
        disabled={!presence.data}
        onChange={(e) => set(e.currentTarget.checked)}
      />
      {problem && <ProblemAlert problem={problem} title="Your status was not changed" />}
    </>
  );
}
