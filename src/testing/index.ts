// hubspot-identify/testing: a fake HubSpot on loopback, for the demo and for users' own tests.
export { startFakeHubSpot, type FakeBehaviour, type FakeHubSpot, type FakeHubSpotOptions, type FakeTokenCall } from './fake-hubspot.js';
export { loaderScript } from './loader-script.js';
