// The test run: every test file, the summary line CI reads, and workers tied to this process so an interrupted run leaves nothing behind.
import { defineConfig } from 'vitest/config';

// Evaluated in the run's main process only: workers and what they start (redis-server, Chromium) end when this pid does.
process.env['HSI_RUN_PID'] = String(process.pid);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    setupFiles: ['./test/helpers/exit-with-run.ts'],
    // Most files wait on Chromium, redis-server, runtimes or sockets more than they compute: on two
    // cores, vitest's default (cores - 1 = one file at a time) left the machine half idle.
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Unhandled rejections fail the run: the package promises never to cause one.
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
