import { MemoryBackend } from '../../src/index.js';
import { describeBackendConformance } from './conformance.js';

describeBackendConformance('memory', async () => {
  const backend = new MemoryBackend();
  return {
    backend,
    cleanup: () => backend.close(),
    watchers: async () => backend.watchedIds,
  };
});

// The same suite without the optional watchers() hook, as a backend that cannot count its watches runs it.
describeBackendConformance('memory, without watchers()', async () => {
  const backend = new MemoryBackend();
  return { backend, cleanup: () => backend.close() };
});
