import { Box, VisuallyHidden } from '@mantine/core';
import type { Presence } from '../../../../src/contract/api.js';

const color: Record<Presence, string> = { online: 'var(--mantine-color-teal-7)', away: 'var(--mantine-color-orange-6)', offline: 'var(--mantine-color-gray-6)' };
export const presenceLabel: Record<Presence, string> = { online: 'online', away: 'away', offline: 'offline' };

/**
 * A coloured dot next to a name, with the state in words for screen readers (and in the
 * tooltip for those who cannot tell the colours apart). An away dot is hollow.
 */
export function PresenceDot({ presence, name }: { presence: Presence; name: string }) {
  return (
    <Box component="span" title={`${name} is ${presenceLabel[presence]}`} style={{ display: 'inline-flex', alignItems: 'center' }}>
      <Box
        component="span"
        aria-hidden
        style={{
          display: 'inline-block',
          width: 9,
          height: 9,
          borderRadius: '50%',
          background: presence === 'away' ? 'transparent' : color[presence],
          border: `2px solid ${color[presence]}`,
          flex: 'none',
        }}
      />
      <VisuallyHidden>({presenceLabel[presence]})</VisuallyHidden>
    </Box>
  );
}
