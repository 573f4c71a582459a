// hubspot-identify/react: a React server component printing the visitor's identification script, for Next.js root layouts.
import { createElement, type ReactElement } from 'react';
import { createIdentifier, type Identifier, type Identity } from '../../src/identifier.js';
import { resolveOptions, type HubSpotIdentifyOptions, type VisitorInput } from '../../src/options.js';

export interface HubSpotIdentifyProps {
  /** The logged-in visitor: an email, `{ email, firstName?, lastName? }`, or null when anonymous (nothing is rendered). */
  visitor: VisitorInput;
  /** The request's CSP nonce, given to the script element. Default: none. */
  nonce?: string | null;
}

/** An async server component: `<HubSpotIdentify visitor={…} nonce={…} />` renders the script, or nothing for an anonymous visitor. */
export type HubSpotIdentifyComponent = (props: HubSpotIdentifyProps) => Promise<ReactElement | null>;

const CLOSING_TAG = '</script>';

/**
 * The script element as React must render it: the marker attribute kept (so an injecting middleware sees the
 * page already has it), the body as raw HTML (it is pure ASCII with `<`, `>` and `&` escaped, so React must not escape it again).
 */
function scriptElement(identity: Identity, nonce: string | null | undefined): ReactElement {
  const tag = identity.scriptTag;
  // scriptTag is `<script data-hubspot-identify>BODY</script>`: the body holds no `>`, so the first one closes the start tag.
  const body = tag.slice(tag.indexOf('>') + 1, tag.length - CLOSING_TAG.length);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: the body is our own script, built escaped (see the comment above)
  return createElement('script', { 'data-hubspot-identify': '', nonce: nonce || undefined, dangerouslySetInnerHTML: { __html: body } });
}

/**
 * Makes the component for these options: call it once, at module level (an identifier per render would
 * call HubSpot on every page). Options are those of `createIdentifier`; `visitor` comes from the props.
 * The identifier is made at the first render, so that a build evaluating the module needs no access token
 * (a missing one is said then); any other mistake in the options is thrown here.
 */
export function createHubSpotIdentify(options?: HubSpotIdentifyOptions): HubSpotIdentifyComponent {
  // Every other mistake fails here, at creation, as in every entry: only the access token may come later.
  resolveOptions({ ...options, accessToken: options?.accessToken ?? (() => undefined) });
  let identifier: Identifier | undefined;
  return async function HubSpotIdentify({ visitor, nonce }: HubSpotIdentifyProps): Promise<ReactElement | null> {
    identifier ??= createIdentifier(options);
    const identity = await identifier.identify(visitor);
    return identity ? scriptElement(identity, nonce) : null;
  };
}

/** The component with the default options: the access token from `HUBSPOT_ACCESS_TOKEN`. */
export const HubSpotIdentify: HubSpotIdentifyComponent = createHubSpotIdentify();

export default HubSpotIdentify;
