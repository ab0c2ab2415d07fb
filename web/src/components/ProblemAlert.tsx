import { Alert, Text } from '@mantine/core';
import type { Problem } from '../api.js';

/** An error from the node, in its words, and what to do about it. */
export function ProblemAlert({ problem, title = 'Something went wrong' }: { problem: Problem; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Text size="sm">{problem.message}</Text>
      {problem.hint && (
        <Text size="sm" mt={4} fw={500}>
          {problem.hint}
        </Text>
      )}
    </Alert>
  );
}
