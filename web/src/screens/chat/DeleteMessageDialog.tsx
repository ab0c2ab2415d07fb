import { Button, Group, Modal, Text } from '@mantine/core';

/** Asks before one's own message is deleted (everyone sees that it was). */
export function DeleteMessageDialog({ opened, onCancel, onConfirm }: { opened: boolean; onCancel: () => void; onConfirm: () => void }) {
  return (
    <Modal opened={opened} onClose={onCancel} title="Delete this message?">
      <Text mb="md">Everyone in the conversation sees that this message was deleted.</Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button color="red" onClick={onConfirm}>
          Delete
        </Button>
      </Group>
    </Modal>
  );
}
