import { Alert, Badge, Button, Card, Code, Group, NumberInput, SimpleGrid, Stack, Switch, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import type { NodeSettings, SettingKey, SettingsResponse } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { useSubmit } from '../../useSubmit.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';

const LABEL: Record<SettingKey, string> = {
  listen: 'Listen address',
  api: 'Web app address',
  bootstrap: 'Bootstrap nodes',
  dht: 'Internet discovery (DHT)',
  mdns: 'Local network discovery (mDNS)',
  versionRetentionDays: 'Keep old versions for (days)',
  rescanIntervalMinutes: 'Full rescan every (minutes)',
  maxUploadMb: 'Largest upload (MB)',
};

const shown = (value: unknown): string => (typeof value === 'boolean' ? (value ? 'on' : 'off') : Array.isArray(value) ? value.join(', ') || 'the public ones' : String(value));

type Draft = Omit<NodeSettings, 'bootstrap'> & { bootstrap: string };

const toDraft = (s: NodeSettings): Draft => ({ ...s, bootstrap: s.bootstrap.join('\n') });

function changes(draft: Draft, saved: NodeSettings): Partial<NodeSettings> {
  const next: NodeSettings = { ...draft, bootstrap: draft.bootstrap.split(/[\s,]+/).filter(Boolean) };
  return Object.fromEntries((Object.keys(next) as SettingKey[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(saved[k])).map((k) => [k, next[k]]));
}

/** What the node starts with and its limits; the ones that need a restart say so. */
export function NodeSettingsForm({ current, onSaved }: { current: SettingsResponse; onSaved: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(current.settings));
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const patch = changes(draft, current.settings);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const { busy, problem, onSubmit: save } = useSubmit(async () => {
    setSavedNote(null);
    const next = await api.updateSettings(patch);
    setSavedNote(next.restartRequired ? 'Saved. Restart Agora to apply the changes marked “restart needed”.' : 'Saved.');
    onSaved();
  });

  /** The field's help, plus whether it waits for a restart or a start flag decided it for this run. */
  const help = (key: SettingKey, text: string): ReactNode => {
    const restart = current.restartOnly.includes(key);
    const running = key === 'maxUploadMb' ? undefined : current.running[key];
    return (
      <>
        {text} {restart ? 'Applies when Agora restarts.' : 'Applies at once.'}
        {current.overridden.includes(key) && running !== undefined && <> This run uses {shown(running)}, given when it was started.</>}
        {current.pendingRestart.includes(key) && (
          <Badge component="span" color="orange" variant="outline" ml={6} size="sm">
            restart needed
          </Badge>
        )}
      </>
    );
  };

  return (
    <Card withBorder component="section" aria-labelledby="node-settings-title">
      <form onSubmit={save}>
        <Stack>
          <Title order={2} size="h4" id="node-settings-title">
            Connections and sync
          </Title>
          {current.restartRequired && (
            <Alert color="orange" variant="light" title="Restart needed">
              Some saved settings apply only when Agora starts again. In a terminal: <Code>agora stop</Code> then <Code>agora start</Code>.
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TextInput label={LABEL.listen} description={help('listen', 'HOST:PORT for direct connections; port 0 picks a free one.')} value={draft.listen} onChange={(e) => set('listen', e.currentTarget.value)} spellCheck={false} />
            <TextInput label={LABEL.api} description={help('api', '127.0.0.1:PORT: the web app is only reachable from this computer.')} value={draft.api} onChange={(e) => set('api', e.currentTarget.value)} spellCheck={false} />
          </SimpleGrid>
          <Textarea
            label={LABEL.bootstrap}
            description={help('bootstrap', 'HOST:PORT, one per line; empty uses the public ones.')}
            value={draft.bootstrap}
            onChange={(e) => set('bootstrap', e.currentTarget.value)}
            autosize
            minRows={2}
            spellCheck={false}
          />
          <Switch label={LABEL.dht} description={help('dht', 'Finds members over the internet.')} checked={draft.dht} onChange={(e) => set('dht', e.currentTarget.checked)} />
          <Switch label={LABEL.mdns} description={help('mdns', 'Finds members on the same network.')} checked={draft.mdns} onChange={(e) => set('mdns', e.currentTarget.checked)} />
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <NumberInput
              label={LABEL.versionRetentionDays}
              description={help('versionRetentionDays', 'Replaced and deleted files stay in .agora/versions this long.')}
              min={0}
              max={3650}
              value={draft.versionRetentionDays}
              onChange={(v) => set('versionRetentionDays', typeof v === 'number' ? v : 0)}
            />
            <NumberInput
              label={LABEL.rescanIntervalMinutes}
              description={help('rescanIntervalMinutes', 'Changes are seen at once; this full scan is a safety net.')}
              min={1}
              max={10080}
              value={draft.rescanIntervalMinutes}
              onChange={(v) => set('rescanIntervalMinutes', typeof v === 'number' ? v : 60)}
            />
            <NumberInput
              label={LABEL.maxUploadMb}
              description={help('maxUploadMb', 'For uploads from this web app; 0 means no limit.')}
              min={0}
              value={draft.maxUploadMb}
              onChange={(v) => set('maxUploadMb', typeof v === 'number' ? v : 0)}
            />
          </SimpleGrid>
          {problem && <ProblemAlert problem={problem} title="Not saved" />}
          <Group>
            <Button type="submit" loading={busy} disabled={Object.keys(patch).length === 0}>
              Save settings
            </Button>
            <div role="status">{savedNote && <Text c="teal.9">{savedNote}</Text>}</div>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
