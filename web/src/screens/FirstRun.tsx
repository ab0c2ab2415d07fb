import { Button, Container, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, problemOf, type Problem } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';

const DONE_KEY = 'agora.firstRunDone';

export function firstRunDone(): boolean {
  return localStorage.getItem(DONE_KEY) === '1';
}

/** The first thing a new user sees: the name the other members will know them by. */
export function FirstRun({ name, onDone }: { name: string; onDone: () => void }) {
  const [value, setValue] = useState(name);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.setName(value.trim());
      localStorage.setItem(DONE_KEY, '1');
      onDone();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size="xs" py="xl">
      <main>
        <Paper withBorder p="lg">
          <form onSubmit={(e) => void submit(e)}>
            <Stack>
              <Title order={1}>Welcome to Agora</Title>
              <Text>Agora shares folders with your team, computer to computer. First, how should the others see you?</Text>
              <TextInput label="Your name" description="Shown to the members of your spaces" value={value} onChange={(e) => setValue(e.currentTarget.value)} required autoFocus maxLength={100} />
              {problem && <ProblemAlert problem={problem} />}
              <Button type="submit" loading={busy} disabled={value.trim() === ''}>
                Continue
              </Button>
            </Stack>
          </form>
        </Paper>
      </main>
    </Container>
  );
}
