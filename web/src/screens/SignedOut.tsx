import { Button, Code, Container, Stack, Text, Title } from '@mantine/core';
import type { Problem } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';

/** Shown when the node refuses us (no session) or does not answer. */
export function SignedOut({ problem, onRetry }: { problem: Problem; onRetry: () => void }) {
  const signedOut = problem.code === 'UNAUTHORIZED';
  return (
    <Container size="sm" py="xl">
      <main>
        <Stack>
          <Title order={1}>{signedOut ? 'Sign in to Agora' : 'Agora is not answering'}</Title>
          {signedOut ? (
            <>
              <Text>For your safety, this page only opens with a one-time sign-in link from your own computer.</Text>
              <Text>Open a terminal on this computer and run:</Text>
              <Code block>agora open</Code>
              <Text c="dimmed" size="sm">
                It opens Agora in your browser, already signed in.
              </Text>
            </>
          ) : (
            <ProblemAlert problem={problem} />
          )}
          <Button onClick={onRetry} variant="light" w="fit-content">
            Try again
          </Button>
        </Stack>
      </main>
    </Container>
  );
}
