import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The CLI tests run the built program as a real process; build it once first.
    globalSetup: ['src/testing/build-once.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
