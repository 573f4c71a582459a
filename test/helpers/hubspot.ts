// One fake HubSpot per test file, reset before each test.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';

/** Starts a fake HubSpot for the file; the returned getter gives it inside tests. */
export function useFakeHubSpot(): () => FakeHubSpot {
  let hubspot: FakeHubSpot | undefined;
  beforeAll(async () => {
    hubspot = await startFakeHubSpot();
  });
  afterAll(() => hubspot?.close());
  beforeEach(() => {
    hubspot!.reset();
    hubspot!.latencyMs = 0;
  });
  // A page that did not wait for its token (a redirect, JSON) leaves the call running: let it land in its own test.
  afterEach(async () => {
    hubspot!.reset();
    await hubspot!.idle();
  });
  return () => hubspot!;
}
