import { Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, problemOf, type Problem } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';

/** The display name: it applies at once, no restart. */
export function NameForm({ current, onSaved }: { current: string; onSaved: () => void }) {
  const [name, setName] = useState(current);
  const [saved, setSaved] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setSaved(false);
    try {
      await api.updateSettings({ name: name.trim() });
      setSaved(true);
      onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="name-title">
      <form onSubmit={(e) => void save(e)}>
        <Stack>
          <Title order={2} size="h4" id="name-title">
            Your name
          </Title>
          <TextInput
            label="Display name"
            description="Applies at once. New members see it; members who joined earlier keep the name they first saw."
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            maxLength={100}
          />
          {problem && <ProblemAlert problem={problem} title="Not saved" />}
          <Group>
            <Button type="submit" disabled={name.trim() === '' || name === current}>
              Save name
            </Button>
            <div role="status">{saved && <Text c="teal.9">Saved</Text>}</div>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
