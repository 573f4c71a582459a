// hubspot-identify: identify logged-in visitors to the HubSpot chat widget. The framework-agnostic entry point.
export { createIdentifier, type Identifier, type Identity, type IdentifyContext } from './identifier.js';
export { HubSpotIdentifyError, isHubSpotIdentifyError, type HubSpotIdentifyErrorCode } from './errors.js';
export { DEFAULTS, type CacheOptions, type HubSpotIdentifyOptions, type Visitor, type VisitorInput, type WidgetOptions } from './options.js';
export { MemoryTokenStore, type LockHandle, type StoredToken, type TokenStore } from './tokens/store.js';
export { serializeForScript, scriptTag, type WidgetSettings } from './html/script.js';
export { injectIntoHtml } from './html/inject.js';
export { StreamingInjector } from './html/inject-stream.js';
export { createInjectingStream } from './node/inject-stream.js';
export type { Logger } from './report.js';
