#!/usr/bin/env node
// The `agora` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('agora is not built yet: run `npm install` (or `npm run build`) in the Agora checkout.');
  process.exit(1);
}
await import(main.href);
