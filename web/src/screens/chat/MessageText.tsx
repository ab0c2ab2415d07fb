import { Mark, Text } from '@mantine/core';
import type { ReactNode } from 'react';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The text as written (line breaks kept), with every @Name of a mentioned member marked.
 * `names` are the names of the members the message mentions.
 */
export function MessageText({ text, names }: { text: string; names: readonly string[] }) {
  const style = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const;
  if (names.length === 0) return <Text style={style}>{text}</Text>;
  const pattern = new RegExp(`@(?:${[...names].sort((a, b) => b.length - a.length).map(escape).join('|')})(?![\\w])`, 'gi');
  const parts: ReactNode[] = [];
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(at, match.index));
    parts.push(
      <Mark key={match.index} color="var(--mantine-color-indigo-1)" px={2} style={{ borderRadius: 4, fontWeight: 600 }}>
        {match[0]}
      </Mark>,
    );
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return <Text style={style}>{parts}</Text>;
}
