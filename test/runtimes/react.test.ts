// hubspot-identify/react from the built package, rendered by react-dom/server: the element, one identifier per factory, the default from HUBSPOT_ACCESS_TOKEN, and no second injection.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { ROOT } from './helpers/installs.js';

type ReactEntry = typeof import('../../adapters/react/index.js');
type FetchEntry = typeof import('../../adapters/fetch/index.js');
type CoreEntry = typeof import('../../src/index.js');

const hubspot = useFakeHubSpot();
let react: ReactEntry;
let fetchEntry: FetchEntry;
let core: CoreEntry;

// The built files, as a user's bundler loads them (`npm test` builds before it tests).
const built = async <T>(path: string) => {
  const file = join(ROOT, 'dist/esm', path);
  if (!existsSync(file)) throw new Error(`${file} is missing: \`npm test\` builds it first (npm run build).`);
  return (await import(pathToFileURL(file).href)) as T;
};

beforeAll(async () => {
  react = await built<ReactEntry>('adapters/react/index.js');
  fetchEntry = await built<FetchEntry>('adapters/fetch/index.js');
  core = await built<CoreEntry>('src/index.js');
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

const render = (element: ReactElement | null) => (element ? renderToStaticMarkup(element) : '');

describe('hubspot-identify/react', () => {
  it("renders the core's script element as it is: the marker attribute kept, the body not escaped again", async () => {
    const HubSpotIdentify = react.createHubSpotIdentify({ accessToken: 'test', baseUrl: hubspot().baseUrl });
    const element = await HubSpotIdentify({ visitor: { email: 'ada@example.com', firstName: 'Ada <&> "Byron"' } });
    const html = render(element);
    const identity = await core
      .createIdentifier({ accessToken: 'test', baseUrl: hubspot().baseUrl })
      .identify({ email: 'ada@example.com', firstName: 'Ada <&> "Byron"' });
    // The same element the core prints (React writes the bare attribute as ="" ), for the token this render got.
    expect(html).toBe(
      identity!.scriptTag
        .replace('<script data-hubspot-identify>', '<script data-hubspot-identify="">')
        .replace(identity!.token, tokenOf(html)),
    );
    expect(hubspot().tokens.get(tokenOf(html))).toBe('ada@example.com');
    expect(html).not.toMatch(/&amp;|&lt;|&quot;/);
  });

  it("carries the request's CSP nonce, escaped as an attribute", async () => {
    const HubSpotIdentify = react.createHubSpotIdentify({ accessToken: 'test', baseUrl: hubspot().baseUrl });
    expect(render(await HubSpotIdentify({ visitor: 'ada@example.com', nonce: 'abc123' }))).toMatch(
      /^<script data-hubspot-identify="" nonce="abc123">/,
    );
    expect(render(await HubSpotIdentify({ visitor: 'ada@example.com', nonce: 'a"b' }))).toMatch(
      /^<script data-hubspot-identify="" nonce="a&quot;b">/,
    );
    expect(render(await HubSpotIdentify({ visitor: 'ada@example.com', nonce: null }))).toMatch(/^<script data-hubspot-identify="">/);
  });

  it('renders nothing for an anonymous or invalid visitor, or when HubSpot fails: the layout renders as usual', async () => {
    const HubSpotIdentify = react.createHubSpotIdentify({
      accessToken: 'test',
      baseUrl: hubspot().baseUrl,
      logger: { warn: () => undefined },
    });
    expect(await HubSpotIdentify({ visitor: null })).toBeNull();
    expect(await HubSpotIdentify({ visitor: undefined })).toBeNull();
    expect(await HubSpotIdentify({ visitor: 'not-an-email' })).toBeNull();
    hubspot().behave({ kind: 'status', status: 503 });
    expect(await HubSpotIdentify({ visitor: 'down@example.com' })).toBeNull();
  });

  it('makes one identifier per createHubSpotIdentify, not one per render: renders after the first are cache hits', async () => {
    const HubSpotIdentify = react.createHubSpotIdentify({ accessToken: 'test', baseUrl: hubspot().baseUrl });
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) tokens.add(tokenOf(render(await HubSpotIdentify({ visitor: 'same@example.com' }))));
    expect(tokens.size).toBe(1);
    expect(hubspot().calls).toHaveLength(1);
  });

  it('creating the component needs no access token (a build imports it); its first render without one throws the clear error', async () => {
    vi.stubEnv('HUBSPOT_ACCESS_TOKEN', '');
    const HubSpotIdentify = react.createHubSpotIdentify({ baseUrl: hubspot().baseUrl });
    await expect(HubSpotIdentify({ visitor: 'ada@example.com' })).rejects.toMatchObject({ code: expect.stringMatching(/^HSI_/) });
  });

  it('the default HubSpotIdentify reads HUBSPOT_ACCESS_TOKEN at its first render', async () => {
    vi.stubEnv('HUBSPOT_ACCESS_TOKEN', 'from-environment');
    // The default calls HubSpot itself: send its calls to the fake.
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (input: string | URL | Request, init?: RequestInit) =>
      realFetch(String(input instanceof Request ? input.url : input).replace('https://api.hubapi.com', hubspot().baseUrl), init),
    );
    const html = render(await react.HubSpotIdentify({ visitor: 'env@example.com' }));
    expect(hubspot().tokens.get(tokenOf(html))).toBe('env@example.com');
    expect(hubspot().calls[0]!.authorization).toBe('Bearer from-environment');
  });

  it('a page holding the rendered element is not injected again by hubspot-identify/fetch around it', async () => {
    const options = { accessToken: 'test', baseUrl: hubspot().baseUrl, visitor: () => 'ada@example.com' };
    const HubSpotIdentify = react.createHubSpotIdentify(options);
    const element = render(await HubSpotIdentify({ visitor: 'ada@example.com', nonce: 'n1' }));
    const page = `<!doctype html><html><head>${element}${hubspot().loaderTag}</head><body><h1>Hi</h1></body></html>`;
    const handler = fetchEntry.withHubSpotIdentify(
      () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      options,
    );
    const response = await handler(new Request('http://app.test/', { headers: { accept: 'text/html' } }));
    const html = await response.text();
    expect(html.split('<script data-hubspot-identify').length - 1).toBe(1);
    expect(html).toContain(element);
  });
});

function tokenOf(html: string): string {
  return /"identificationToken":"([^"]+)"/.exec(html)?.[1] ?? '';
}
