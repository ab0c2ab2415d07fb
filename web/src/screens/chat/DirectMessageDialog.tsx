import { Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Member } from '../../../../src/contract/api.js';

interface Props {
  members: readonly Member[];
  opened: boolean;
  onClose: () => void;
  onClosed: () => void;
  onPick: (memberId: string) => void;
}

/** Picks the member to write to; the conversation exists once the first message is sent. */
export function DirectMessageDialog({ members, opened, onClose, onClosed, onPick }: Props) {
  const [picked, setPicked] = useState<string | null>(null);
  const others = members.filter((m) => !m.self).map((m) => ({ value: m.memberId, label: m.name }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (picked) onPick(picked);
  };

  return (
    <Modal opened={opened} onClose={onClose} onExitTransitionEnd={onClosed} title="New direct message">
      <form onSubmit={submit}>
        <Stack>
          {others.length === 0 ? (
            <Text>Nobody else is in this space yet. Invite someone first.</Text>
          ) : (
            <Select label="Write to" placeholder="Pick a member" data={others} value={picked} onChange={setPicked} searchable data-autofocus nothingFoundMessage="Nobody by that name" />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={!picked}>
              Open conversation
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
