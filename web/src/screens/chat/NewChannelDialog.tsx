import { Button, Group, Modal, MultiSelect, Radio, Stack, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { ChannelHistory, ChannelSummary, Member } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useSubmit } from '../../useSubmit.js';

interface Props {
  spaceId: string;
  members: readonly Member[];
  opened: boolean;
  onClose: () => void;
  onClosed: () => void;
  onCreated: (channel: ChannelSummary) => void;
}

/** Admins: a channel everyone in the space reads, or a private one when members are picked. */
export function NewChannelDialog({ spaceId, members, opened, onClose, onClosed, onCreated }: Props) {
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [history, setHistory] = useState<ChannelHistory>('join');
  const { busy, problem, onSubmit } = useSubmit(async () => {
    const channel = await api.chat.createChannel(spaceId, { name: name.trim().replace(/^#/, ''), ...(picked.length > 0 ? { members: picked } : {}), history });
    onCreated(channel);
  });
  const others = members.filter((m) => !m.self).map((m) => ({ value: m.memberId, label: m.name }));

  return (
    <Modal opened={opened} onClose={onClose} onExitTransitionEnd={onClosed} title="New channel" fullScreen={window.innerWidth < 600}>
      <form onSubmit={onSubmit}>
        <Stack>
          <TextInput label="Channel name" placeholder="e.g. design" value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={100} data-autofocus />
          <MultiSelect
            label="Members"
            description="Leave empty for a channel every member of the space reads. Pick people to make it private to them and you."
            data={others}
            value={picked}
            onChange={setPicked}
            searchable
            clearable
            nothingFoundMessage="Nobody by that name"
            comboboxProps={{ withinPortal: true }}
          />
          <Radio.Group label="People added later see" value={history} onChange={(v) => setHistory(v as ChannelHistory)}>
            <Stack gap="xs" mt="xs">
              <Radio value="join" label="Messages from when they were added" />
              <Radio value="full" label="The whole history of the channel" />
            </Stack>
          </Radio.Group>
          {problem && <ProblemAlert problem={problem} title="The channel was not created" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={name.trim() === ''}>
              {picked.length > 0 ? 'Create private channel' : 'Create channel'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
