import { Center, Loader } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import type { StatusResponse } from '../../src/contract/api.js';
import { api, problemOf, type Problem } from './api.js';
import { LiveProvider } from './live.js';
import { Shell } from './components/Shell.js';
import { FirstRun, firstRunDone } from './screens/FirstRun.js';
import { SignedOut } from './screens/SignedOut.js';

type Boot = { kind: 'loading' } | { kind: 'problem'; problem: Problem } | { kind: 'ready'; status: StatusResponse; firstRun: boolean };

const SIGNED_OUT: Problem = { code: 'UNAUTHORIZED', message: 'This browser is not signed in to Agora.', hint: null };

/** Asks whether we are signed in first, so a signed-out page makes no failing request. */
async function boot(): Promise<Boot> {
  try {
    if (!(await api.session()).signedIn) return { kind: 'problem', problem: SIGNED_OUT };
    const [status, spaces] = await Promise.all([api.status(), api.spaces()]);
    return { kind: 'ready', status, firstRun: spaces.length === 0 && !firstRunDone() };
  } catch (err) {
    return { kind: 'problem', problem: problemOf(err) };
  }
}

export function App() {
  const [state, setBoot] = useState<Boot>({ kind: 'loading' });

  const [attempt, setAttempt] = useState(0);
  const load = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    void boot().then((next) => live && setBoot(next));
    return () => {
      live = false;
    };
  }, [attempt]);

  if (state.kind === 'loading') {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading Agora" />
      </Center>
    );
  }
  if (state.kind === 'problem') return <SignedOut problem={state.problem} onRetry={load} />;
  if (state.firstRun) return <FirstRun name={state.status.name} onDone={load} />;
  return (
    <LiveProvider>
      <Shell />
    </LiveProvider>
  );
}
