import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Unhandled rejections fail the run: the package promises never to cause one.
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
