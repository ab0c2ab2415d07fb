import { Group, Text, Title } from '@mantine/core';
import type { Ref } from 'react';
import type { ChannelSummary, Member } from '../../../../src/contract/api.js';
import { presenceOf } from './chat-target.js';
import { PresenceDot, presenceLabel } from './PresenceDot.js';

interface Props {
  ref: Ref<HTMLHeadingElement>;
  title: string;
  direct: boolean;
  listed: ChannelSummary | undefined;
  other: Member | undefined;
  members: ReadonlyMap<string, Member>;
}

function whoReads(listed: ChannelSummary | undefined, members: ReadonlyMap<string, Member>): string {
  if (!listed) return '';
  const later = listed.history === 'full' ? ' People added later see its whole history.' : '';
  if (listed.kind === 'general') return 'Everyone in the space except guests.';
  if (listed.kind === 'channel') return `Every member of the space.${later}`;
  const names = listed.memberIds.map((id) => members.get(id)?.name ?? id.slice(0, 8));
  return `Private: ${names.join(', ')}.${later}`;
}

/** The conversation's name (it takes the focus when the list that opened it is gone) and who reads it. */
export function ConversationHeader({ ref, title, direct, listed, other, members }: Props) {
  const presence = presenceOf(other);
  return (
    <header>
      <Title order={2} size="h3" ref={ref} tabIndex={-1} style={{ outline: 'none' }}>
        <Group gap="xs" wrap="nowrap" component="span">
          {!direct && <span aria-hidden>#</span>}
          <span>{title}</span>
          {direct && <PresenceDot presence={presence} name={title} />}
        </Group>
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {direct ? `${title} is ${presenceLabel[presence]}. Only the two of you read this conversation.` : whoReads(listed, members)}
      </Text>
    </header>
  );
}
