// One fake HubSpot per test file, reset before each test.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';

/** Starts a fake HubSpot for the file; the returned getter gives it inside tests. */
export function useFakeHubSpot(): () => FakeHubSpot {
  let hubspot: FakeHubSpot | undefined;
  beforeAll(async () => { hubspot = await startFakeHubSpot(); });
  afterAll(() => hubspot?.close());
  beforeEach(() => {
    hubspot!.reset();
    hubspot!.latencyMs = 0;
  });
  return () => hubspot!;
}
