import { Button, Group, Progress, Text } from '@mantine/core';
import { bytes } from '../../format.js';
import type { UploadProgress } from './use-uploader.js';

/** The batch under way: bytes sent of the total, which file, and a way to stop. */
export function UploadStatus({ progress, onCancel }: { progress: UploadProgress; onCancel: () => void }) {
  const percent = progress.total > 0 ? Math.round((100 * progress.sent) / progress.total) : 100;
  return (
    <div data-testid="upload-progress">
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Progress value={percent} aria-label="Upload progress" style={{ flex: 1 }} size="lg" />
        <Button size="compact-sm" variant="default" onClick={onCancel}>
          Cancel upload
        </Button>
      </Group>
      <Text size="sm" mt={4} style={{ wordBreak: 'break-all' }}>
        {bytes(progress.sent)} of {bytes(progress.total)} · file {progress.index} of {progress.count}: {progress.current}
      </Text>
    </div>
  );
}
