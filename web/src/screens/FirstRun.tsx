import { Button, Container, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { api } from '../api.js';
import { useSubmit } from '../useSubmit.js';
import { ProblemAlert } from '../components/ProblemAlert.js';

/** The first thing a new user sees: the name the other members will know them by. */
export function FirstRun({ name, onDone }: { name: string; onDone: () => void }) {
  const [value, setValue] = useState(name);
  const { busy, problem, onSubmit } = useSubmit(async () => {
    await api.setName(value.trim()); // the node also records that the name was chosen
    onDone();
  });

  return (
    <Container size="xs" py="xl">
      <main>
        <Paper withBorder p="lg">
          <form onSubmit={onSubmit}>
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
