// hubspot-identify: identify logged-in visitors to the HubSpot chat widget. The framework-agnostic entry point.
export { createIdentifier, type Identifier, type Identity, type IdentifyContext, type InjectOptions } from './identifier.js';
export { HubSpotIdentifyError, isHubSpotIdentifyError, type HubSpotIdentifyErrorCode } from './errors.js';
export { DEFAULTS, type CacheOptions, type HubSpotIdentifyOptions, type WidgetOptions } from './options.js';
export type { Visitor, VisitorInput } from './tokens/visitor.js';
export { MemoryTokenStore, type LockHandle, type StoredToken, type TokenStore } from './tokens/store.js';
export type { WidgetSettings } from './html/script.js';
export type { Logger } from './report.js';
