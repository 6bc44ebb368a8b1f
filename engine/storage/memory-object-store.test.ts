import { createMemoryObjectStore } from './memory-object-store.js';
import { describeObjectStoreConformance } from './object-store.conformance.js';

describeObjectStoreConformance('memory object store', async () => ({
  store: createMemoryObjectStore(),
  cleanup: async () => {},
}));
