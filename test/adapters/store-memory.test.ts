import { createMemoryStore } from '../../src/adapters/store-memory/index.js';
import { describeStorePort } from '../ports/store-suite.js';

describeStorePort('memory', () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
