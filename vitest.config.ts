import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The CLI tests run the built program as a real process; build it once first.
    globalSetup: ['src/testing/build-once.ts'],
    // Generous: many tests start the CLI and services as real processes, and a loaded 2-core
    // machine can make one take many times its usual seconds. Hangs still end, and no test
    // asserts a duration.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
