// Where a token is minted: one POST to HubSpot's visitor identification endpoint, every failure classified.
import { HubSpotIdentifyError } from '../errors.js';
import { after } from '../timers.js';
import type { Visitor } from './visitor.js';

export interface MintRequest {
  fetch: typeof globalThis.fetch;
  url: string;
  accessToken: string;
  visitor: Visitor;
  /** Upper bound of the call; it outlives the page's own timeout so the token can still be cached. */
  timeoutMs: number;
  /** Wait after a 429 TEN_SECONDLY_ROLLING (or unnamed) that names no interval. */
  defaultRateLimitWaitMs: number;
  /** Wait, at a time, after a 429 DAILY. */
  dailyRateLimitWaitMs: number;
}

/** A new token, and how long background refreshes should wait when the answer said calls are running low. */
export interface Minted {
  token: string;
  lowBudgetMs?: number;
}

/** Under this share of a limit left, background refreshes leave the last calls to new visitors. */
const LOW_BUDGET_SHARE = 0.1;

const SCOPE = 'conversations.visitor_identification.tokens.create';

interface HubSpotErrorBody {
  message?: unknown;
  correlationId?: unknown;
  category?: unknown;
  policyName?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function header(headers: Headers, name: string): number | undefined {
  const value = headers.get(name);
  if (value === null || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** `Retry-After` (seconds or a date) in ms, when HubSpot sends one; it does not document it. */
function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = header(headers, 'retry-after');
  if (seconds !== undefined) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The window HubSpot's interval header names, else the default ten seconds. */
function interval(headers: Headers, fallbackMs: number): number {
  const ms = header(headers, 'x-hubspot-ratelimit-interval-milliseconds');
  return ms !== undefined && ms > 0 ? ms : fallbackMs;
}

/** After a success: how long background refreshes should wait if fewer than 10% of a limit's calls are left. */
function lowBudget(headers: Headers, request: MintRequest): number | undefined {
  const low = (remainingName: string, maxName: string) => {
    const remaining = header(headers, remainingName);
    const max = header(headers, maxName);
    return remaining !== undefined && max !== undefined && max > 0 && remaining < max * LOW_BUDGET_SHARE;
  };
  if (low('x-hubspot-ratelimit-daily-remaining', 'x-hubspot-ratelimit-daily')) return request.dailyRateLimitWaitMs;
  if (
    low('x-hubspot-ratelimit-remaining', 'x-hubspot-ratelimit-max') ||
    low('x-hubspot-ratelimit-secondly-remaining', 'x-hubspot-ratelimit-secondly')
  ) {
    return interval(headers, request.defaultRateLimitWaitMs);
  }
  return undefined;
}

const TOKEN_CHAR = /[A-Za-z0-9_-]/;
/** Long enough that no ordinary word contains it: redacted wherever it appears. */
const REAL_TOKEN_LENGTH = 16;

/**
 * `message` with the access token replaced wherever it stands as a token of its own. A short token
 * inside a longer word is left alone ("bad portal" with token "t"); a real token, being long, is
 * redacted wherever it appears.
 */
export function redact(message: string, accessToken: string): string {
  if (accessToken === '' || !message.includes(accessToken)) return message;
  let out = '';
  let from = 0;
  for (let at = message.indexOf(accessToken); at !== -1; at = message.indexOf(accessToken, at + 1)) {
    if (at < from) continue;
    const end = at + accessToken.length;
    const alone = !TOKEN_CHAR.test(message[at - 1] ?? '') && !TOKEN_CHAR.test(message[end] ?? '');
    if (!alone && accessToken.length < REAL_TOKEN_LENGTH) continue;
    out += `${message.slice(from, at)}[access token]`;
    from = end;
  }
  return out + message.slice(from);
}

/** Calls HubSpot once. Resolves with the token; rejects with a HubSpotIdentifyError that never holds the access token. */
export async function mintToken(request: MintRequest): Promise<Minted> {
  // A timer cleared once the answer is read: AbortSignal.timeout would keep its timer and signal
  // (~700 B) alive for the whole timeout after every call, however fast HubSpot answered.
  const abort = new AbortController();
  const cancel = after(request.timeoutMs, () => abort.abort(new DOMException('The HubSpot call timed out.', 'TimeoutError')));
  try {
    return await callHubSpot(request, abort.signal);
  } finally {
    cancel();
  }
}

async function callHubSpot(request: MintRequest, signal: AbortSignal): Promise<Minted> {
  const { visitor, accessToken } = request;
  const hide = (message: string) => redact(message, accessToken);
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
      signal,
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return Promise.reject(
        new HubSpotIdentifyError('HSI_TIMEOUT', `HubSpot did not answer within ${request.timeoutMs} ms; the call was abandoned.`),
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = hide(cause?.code ?? cause?.message ?? (error as Error).message ?? 'unknown');
    return Promise.reject(
      new HubSpotIdentifyError('HSI_NETWORK_ERROR', `HubSpot could not be reached (${reason}); pages render anonymous until it can.`),
    );
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
    if (typeof token === 'string' && token !== '') return { token, lowBudgetMs: lowBudget(response.headers, request) };
    throw new HubSpotIdentifyError(
      'HSI_BAD_RESPONSE',
      `HubSpot answered ${response.status} without a token in JSON; pages render anonymous.`,
      { status: response.status },
    );
  }

  const details = (body ?? {}) as HubSpotErrorBody;
  // Every string of the body is HubSpot's (or a proxy's) to fill: none may carry the access token on.
  const field = (value: unknown) => {
    const found = text(value);
    return found === undefined ? undefined : hide(found);
  };
  const said = text(details.message) ? ` HubSpot said: "${hide(String(details.message))}"` : '';
  const common = { status: response.status, correlationId: field(details.correlationId), category: field(details.category) };

  switch (response.status) {
    case 401:
      throw new HubSpotIdentifyError(
        'HSI_UNAUTHORIZED',
        `HubSpot refused the access token (401): it is wrong, expired or revoked. Set HUBSPOT_ACCESS_TOKEN (or accessToken) to a private app token with the scope ${SCOPE}.${said}`,
        common,
      );
    case 403:
      throw new HubSpotIdentifyError(
        'HSI_FORBIDDEN',
        `HubSpot forbade visitor identification (403): give the private app the scope ${SCOPE}, and check that the HubSpot account is on a Professional or Enterprise plan, which this API requires.${said}`,
        common,
      );
    case 400:
      throw new HubSpotIdentifyError(
        'HSI_VISITOR_REJECTED',
        `HubSpot rejected the visitor's email (400), so this visitor renders anonymous and is not sent again for an hour. Check what the visitor option returns for them.${said}`,
        common,
      );
    case 429: {
      const headers = response.headers;
      const daily = text(details.policyName) === 'DAILY' || headers.get('x-hubspot-ratelimit-daily-remaining') === '0';
      const policyName = field(details.policyName) ?? (daily ? 'DAILY' : undefined);
      // DAILY waits an hour at a time (longer only if HubSpot says so): a short Retry-After would spend the day's last calls probing.
      const retryAfterMs = daily
        ? Math.max(retryAfter(headers) ?? 0, request.dailyRateLimitWaitMs)
        : (retryAfter(headers) ?? interval(headers, request.defaultRateLimitWaitMs));
      const what = daily
        ? `HubSpot's daily limit for this app is used up (429 DAILY); calls pause for ${retryAfterMs} ms at a time until HubSpot answers again, and cached tokens are served meanwhile. Raise cache.refreshAfter and cache.maxAge, share tokens across servers with RedisTokenStore, or ask HubSpot for a higher limit.`
        : `HubSpot rate-limited the app (429${policyName ? ` ${policyName}` : ''}); calls pause for ${retryAfterMs} ms and new visitors render anonymous meanwhile. Share tokens across servers with RedisTokenStore, or raise cache.refreshAfter.`;
      throw new HubSpotIdentifyError('HSI_RATE_LIMITED', `${what}${said}`, { ...common, retryAfterMs, policyName });
    }
    default:
      throw new HubSpotIdentifyError(
        'HSI_HUBSPOT_ERROR',
        `HubSpot answered ${response.status}; pages render anonymous and the next page view tries again.${said}`,
        common,
      );
  }
}
