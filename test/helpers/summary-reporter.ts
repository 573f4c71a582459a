// Ends the run with the plain line CI reads: "N passed, N failed" (", N skipped" when there are any).
import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a run the way a reader of its last line expects. A test that did not run because a hook
 * of its suite failed is a failure, not a skip; a hook or file that failed with no test to blame
 * (an afterAll, an import error), an unhandled error, and a test left unfinished by an interrupted
 * run are each one failure. Only tests skipped on purpose (`it.skip`, `ctx.skip()`) are skipped.
 */
export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): RunCounts {
  const counts: RunCounts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const module of testModules) {
    const broken = new Set<TestSuite | TestModule>();
    for (const suite of [module, ...module.children.allSuites()]) if (suite.errors().length > 0) broken.add(suite);
    const blamed = new Set<TestSuite | TestModule>();
    for (const test of module.children.allTests()) {
      const { state } = test.result();
      if (state === 'passed') counts.passed++;
      else if (state === 'failed' || state === 'pending') counts.failed++;
      else {
        const cause = brokenAncestor(test.parent, broken);
        if (cause) {
          counts.failed++;
          blamed.add(cause);
        } else counts.skipped++;
      }
    }
    for (const suite of broken) if (!blamed.has(suite)) counts.failed++;
  }
  return counts;
}

function brokenAncestor(suite: TestSuite | TestModule, broken: Set<TestSuite | TestModule>): TestSuite | TestModule | undefined {
  for (let current: TestSuite | TestModule = suite; ; current = current.parent) {
    if (broken.has(current)) return current;
    if (current.type === 'module') return undefined;
  }
}

export function summaryLine({ passed, failed, skipped }: RunCounts): string {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    process.stdout.write(`\n${summaryLine(countRun(testModules, unhandledErrors))}\n`);
  }
}
