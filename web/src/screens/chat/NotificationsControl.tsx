import { Button, Switch, Text } from '@mantine/core';
import { useState } from 'react';
import { notificationsSupported, notificationsWanted, setNotificationsWanted } from './use-chat-notifications.js';

/**
 * Browser notifications of new messages while the page is hidden. The browser is asked for
 * permission only when the user presses the button, never on its own.
 */
export function NotificationsControl() {
  const [permission, setPermission] = useState(() => (notificationsSupported() ? Notification.permission : 'denied'));
  const [wanted, setWanted] = useState(notificationsWanted);
  if (!notificationsSupported()) return null;

  if (permission === 'granted') {
    return (
      <Switch
        label="Notify me of new messages"
        description="While this page is hidden."
        checked={wanted}
        onChange={(e) => {
          setNotificationsWanted(e.currentTarget.checked);
          setWanted(notificationsWanted());
        }}
      />
    );
  }
  if (permission === 'denied') {
    return (
      <Text size="xs" c="dimmed">
        Notifications are blocked for this page in the browser's settings.
      </Text>
    );
  }
  return (
    <Button
      variant="light"
      size="xs"
      onClick={() => {
        void Notification.requestPermission().then((p) => {
          if (p === 'granted') setNotificationsWanted(true);
          setPermission(p);
          setWanted(notificationsWanted());
        });
      }}
    >
      Turn on notifications
    </Button>
  );
}
