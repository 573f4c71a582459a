// Where a token is minted: one POST to HubSpot's visitor identification endpoint, every failure classified.
import { HubSpotIdentifyError } from '../errors.js';
import type { Visitor } from '../options.js';

export interface MintRequest {
  fetch: typeof globalThis.fetch;
  url: string;
  accessToken: string;
  visitor: Visitor;
  /** Upper bound of the call; it outlives the page's own timeout so the token can still be cached. */
  timeoutMs: number;
  /** Wait after a 429 that says nothing of its own. */
  defaultRateLimitWaitMs: number;
}

const SCOPE = 'conversations.visitor_identification.tokens.create';

interface HubSpotErrorBody {
  message?: unknown;
  correlationId?: unknown;
  category?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** HubSpot's rate-limit headers, as milliseconds to wait. */
function rateLimitWait(headers: Headers, fallbackMs: number): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  if (headers.get('x-hubspot-ratelimit-daily-remaining') === '0') return 60 * 60 * 1000;
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'));
  if (Number.isFinite(interval) && interval > 0) return interval;
  return fallbackMs;
}

/** Calls HubSpot once. Resolves with the token; rejects with a HubSpotIdentifyError that never holds the access token. */
export async function mintToken(request: MintRequest): Promise<string> {
  const { visitor, accessToken } = request;
  const redact = (message: string) => message.split(accessToken).join('[access token]');
  let response: Response;
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(visitor),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return Promise.reject(new HubSpotIdentifyError('HSI_TIMEOUT', `HubSpot did not answer within ${request.timeoutMs} ms; the call was abandoned.`));
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = redact(cause?.code ?? cause?.message ?? (error as Error).message ?? 'unknown');
    return Promise.reject(new HubSpotIdentifyError('HSI_NETWORK_ERROR', `HubSpot could not be reached (${reason}); pages render anonymous until it can.`));
  }

  let body: unknown;
  let bodyText = '';
  try {
    bodyText = await response.text();
    body = bodyText === '' ? undefined : JSON.parse(bodyText);
  } catch {
    body = undefined;
  }

  if (response.ok) {
    const token = (body as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && token !== '') return token;
    throw new HubSpotIdentifyError('HSI_BAD_RESPONSE', `HubSpot answered ${response.status} without a token in JSON; pages render anonymous.`, { status: response.status });
  }

  const details = (body ?? {}) as HubSpotErrorBody;
  const said = text(details.message) ? ` HubSpot said: "${redact(String(details.message))}"` : '';
  const common = { status: response.status, correlationId: text(details.correlationId), category: text(details.category) };

  switch (response.status) {
    case 401:
      throw new HubSpotIdentifyError('HSI_UNAUTHORIZED',
        `HubSpot refused the access token (401): it is wrong, expired or revoked. Set HUBSPOT_ACCESS_TOKEN (or accessToken) to a private app token with the scope ${SCOPE}.${said}`,
        common);
    case 403:
      throw new HubSpotIdentifyError('HSI_FORBIDDEN',
        `HubSpot forbade visitor identification (403): give the private app the scope ${SCOPE}, and check that the HubSpot account is on a Professional or Enterprise plan, which this API requires.${said}`,
        common);
    case 429: {
      const retryAfterMs = rateLimitWait(response.headers, request.defaultRateLimitWaitMs);
      throw new HubSpotIdentifyError('HSI_RATE_LIMITED',
        `HubSpot rate-limited the private app (429); calls pause for ${retryAfterMs} ms and pages render anonymous meanwhile. Raise cache.refreshAfter or share tokens across servers with RedisTokenStore.${said}`,
        { ...common, retryAfterMs });
    }
    default:
      throw new HubSpotIdentifyError('HSI_HUBSPOT_ERROR',
        `HubSpot answered ${response.status}; pages render anonymous and the next page view tries again.${said}`,
        common);
  }
}
