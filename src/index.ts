// hubspot-identify: identify logged-in visitors to the HubSpot chat widget. The framework-agnostic entry point.
export { createIdentifier, type Identifier, type Identity, type IdentifyContext } from './identifier.js';
export { HubSpotIdentifyError, isHubSpotIdentifyError, type HubSpotIdentifyErrorCode } from './errors.js';
export { DEFAULTS, type CacheOptions, type HubSpotIdentifyOptions, type Visitor, type VisitorInput } from './options.js';
export { MemoryTokenStore, type StoredToken, type TokenStore } from './store.js';
export { serializeForScript, scriptTag, type WidgetSettings } from './script.js';
export { injectIntoHtml } from './html.js';
export { createInjectingStream, StreamingInjector } from './html-stream.js';
export type { Logger } from './report.js';
