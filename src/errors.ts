// The one error class every failure is reported as: a stable code, HubSpot's details, never a secret.

/** Stable codes for everything hubspot-identify reports. */
export type HubSpotIdentifyErrorCode =
  /** No access token: neither `accessToken` nor `HUBSPOT_ACCESS_TOKEN`. Thrown at creation. */
  | 'HSI_NO_ACCESS_TOKEN'
  /**
   * An option has a value that cannot work, or the middleware is wired wrong: thrown at creation or first
   * request. Identifiers created per request (HubSpot called on every page) are said once to the logger instead.
   */
  | 'HSI_INVALID_OPTION'
  /** HubSpot answered 401: the access token is wrong or revoked. */
  | 'HSI_UNAUTHORIZED'
  /** HubSpot answered 403: missing scope, or the account is not Professional/Enterprise. */
  | 'HSI_FORBIDDEN'
  /** HubSpot answered 429: calls pause for the time HubSpot asks. */
  | 'HSI_RATE_LIMITED'
  /** HubSpot answered with another error status (5xx, 404, …). */
  | 'HSI_HUBSPOT_ERROR'
  /** HubSpot could not be reached (DNS, connection refused or reset). */
  | 'HSI_NETWORK_ERROR'
  /** HubSpot answered 2xx without a usable `{ token }`. */
  | 'HSI_BAD_RESPONSE'
  /** HubSpot took longer than `timeout`: the page went out anonymous. */
  | 'HSI_TIMEOUT'
  /** The visitor resolver returned an email that is not sent to HubSpot (not a string, no @, control characters, too long). */
  | 'HSI_INVALID_VISITOR'
  /** HubSpot answered 400 for this visitor's email: it is not sent again for an hour. */
  | 'HSI_VISITOR_REJECTED'
  /** A function option (accessToken, visitor, nonce, shouldIdentify) threw or rejected: the page renders anonymous. */
  | 'HSI_FUNCTION_FAILED'
  /** An identified response was not HTML by its Content-Type (e.g. a string sent as text/plain), so nothing was injected. */
  | 'HSI_NOT_HTML'
  /** The page has no loader tag, `</head>` or `</body>` to inject before. */
  | 'HSI_NO_INSERTION_POINT'
  /** The body was already compressed or encoded when it reached the middleware. */
  | 'HSI_ENCODED_BODY'
  /** A page's own `<meta http-equiv="Content-Security-Policy">` blocks the injected script (no nonce or hash of it, no `'unsafe-inline'`). */
  | 'HSI_CSP_BLOCKS_SCRIPT'
  /** The token store (Redis) failed or did not answer within `timeout`: the in-memory cache is used meanwhile. */
  | 'HSI_STORE_UNAVAILABLE'
  /** Something failed inside hubspot-identify itself (a bug, or a runtime's object it did not expect): the response went out as the app made it. */
  | 'HSI_INTERNAL_ERROR';

export interface HubSpotIdentifyErrorDetails {
  /** HTTP status HubSpot answered with, when it answered. */
  status?: number;
  /** HubSpot's `correlationId`, for HubSpot support. */
  correlationId?: string;
  /** HubSpot's `category`, e.g. `RATE_LIMITS`. */
  category?: string;
  /** Milliseconds until calls to HubSpot resume, for 401, 403 and 429. */
  retryAfterMs?: number;
  /** Which of HubSpot's limits a 429 hit: `'TEN_SECONDLY_ROLLING'` or `'DAILY'`. */
  policyName?: string;
  cause?: unknown;
}

const brand = Symbol.for('hubspot-identify.error');

export class HubSpotIdentifyError extends Error {
  override readonly name = 'HubSpotIdentifyError';
  readonly code: HubSpotIdentifyErrorCode;
  readonly status?: number;
  readonly correlationId?: string;
  readonly category?: string;
  readonly retryAfterMs?: number;
  readonly policyName?: string;

  constructor(code: HubSpotIdentifyErrorCode, message: string, details: HubSpotIdentifyErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.correlationId = details.correlationId;
    this.category = details.category;
    this.retryAfterMs = details.retryAfterMs;
    this.policyName = details.policyName;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for errors from hubspot-identify, including ones from another copy of the package. */
export function isHubSpotIdentifyError(value: unknown): value is HubSpotIdentifyError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
