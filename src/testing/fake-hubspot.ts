// A fake HubSpot on loopback: the visitor identification endpoint (with configurable latency and failures) and a loader script.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emailMark, loaderScript } from './loader-script.js';

/**
 * What the token endpoint does: answer; fail with any status (a HubSpot-shaped error body unless one is
 * given); answer 429 for a rate-limit policy, 401 for a bad token, 403 for a missing scope or an account
 * without the feature; cut the connection; or answer bad JSON.
 */
export type FakeBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'rate-limit'; policy?: 'TEN_SECONDLY_ROLLING' | 'DAILY'; intervalMs?: number }
  | { kind: 'unauthorized' }
  | { kind: 'forbidden'; category?: 'MISSING_SCOPES' | 'FORBIDDEN' }
  | { kind: 'reset' }
  | { kind: 'bad-json' };

export interface FakeHubSpotOptions {
  /** Port on 127.0.0.1. Default: `0` (any free port). */
  port?: number;
  /** The only access token accepted; others get 401. Default: any non-empty token. */
  accessToken?: string;
  /** Delay in ms before the token endpoint answers. Default: `0`. */
  latencyMs?: number;
  /** Portal id in the loader path (`/<portalId>.js`). Default: `'12345'`. */
  portalId?: string;
}

export interface FakeTokenCall {
  email: string;
  firstName?: string;
  lastName?: string;
  path: string;
  authorization: string | undefined;
}

export interface FakeHubSpot {
  /** Pass as `baseUrl`. */
  readonly baseUrl: string;
  /** URL of the fake loader script, for `<script id="hs-script-loader" src="…">`. */
  readonly loaderUrl: string;
  /** A loader tag pointing at the fake, to print in pages. */
  readonly loaderTag: string;
  /** Every token request received, in order. */
  readonly calls: FakeTokenCall[];
  /** Token → email for every token minted. */
  readonly tokens: Map<string, string>;
  latencyMs: number;
  /** What the token endpoint does next; `times` limits it, then it answers normally again. */
  behave(behaviour: FakeBehaviour, times?: number): void;
  /**
   * Holds every token answer until the returned function is called: a HubSpot that has not answered
   * yet, for tests that check a page does not wait for it (no clock involved).
   */
  hold(): () => void;
  /**
   * Resolves once no token request is being answered and none arrived for `quietMs`: what a test
   * awaits before the next, so that a call one page started in the background is not counted there.
   */
  idle(quietMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

// Dated (/visitor-identification/2026-03/...), legacy (/conversations/v3/...) and the Node SDK's spelling of it (/visitor-identification/v3/...).
const TOKEN_PATHS = /^\/(conversations\/v3\/visitor-identification|visitor-identification\/(\d{4}-\d{2}|v3))\/tokens\/create$/;

// HubSpot's private-app limits at the lowest tier: 100 calls per 10 s, 250,000 a day.
const LIMITS = { max: 100, intervalMs: 10_000, daily: 250_000 };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function hubspotError(message: string, category: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

/** HubSpot's rate-limit headers, as it sends them on every answer. */
function rateLimitHeaders(remaining: number, dailyRemaining: number, intervalMs = LIMITS.intervalMs): Record<string, string> {
  return {
    'x-hubspot-ratelimit-max': String(LIMITS.max),
    'x-hubspot-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-hubspot-ratelimit-interval-milliseconds': String(intervalMs),
    'x-hubspot-ratelimit-daily': String(LIMITS.daily),
    'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, dailyRemaining)),
  };
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const portalId = options.portalId ?? '12345';
  const calls: FakeTokenCall[] = [];
  const tokens = new Map<string, string>();
  let behaviour: FakeBehaviour = { kind: 'ok' };
  let remaining = Infinity;
  let minted = 0;
  // When each token call of the current 10-second window and of the current day (UTC) came in: the
  // rate-limit headers count down per window and per day as HubSpot's do, and roll over with them.
  let windowCalls: number[] = [];
  let day = { date: '', calls: 0 };
  const budget = () => {
    const now = Date.now();
    windowCalls = windowCalls.filter((at) => now - at < LIMITS.intervalMs);
    windowCalls.push(now);
    const date = new Date(now).toISOString().slice(0, 10);
    day = date === day.date ? { date, calls: day.calls + 1 } : { date, calls: 1 };
    return rateLimitHeaders(LIMITS.max - windowCalls.length, LIMITS.daily - day.calls);
  };
  let held: Promise<void> = Promise.resolve();
  let release = () => {};
  let answering = 0;
  let lastArrival = 0;

  async function handleToken(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    answering++;
    lastArrival = Date.now();
    try {
      await answerToken(req, res, path);
    } finally {
      answering--;
    }
  }

  async function answerToken(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readBody(req);
    let body: Partial<FakeTokenCall> = {};
    try {
      body = JSON.parse(raw) as Partial<FakeTokenCall>;
    } catch {
      /* answered below */
    }
    calls.push({
      email: String(body.email),
      firstName: body.firstName,
      lastName: body.lastName,
      path,
      authorization: req.headers.authorization,
    });
    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs));
    await held;
    const current = behaviour;
    if (--remaining <= 0) {
      behaviour = { kind: 'ok' };
      remaining = Infinity;
    }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    const limits = budget();
    if (current.kind === 'unauthorized' || !bearer || (options.accessToken !== undefined && bearer !== options.accessToken)) {
      return json(
        res,
        401,
        hubspotError(
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          'INVALID_AUTHENTICATION',
        ),
      );
    }
    if (typeof body.email !== 'string' || !body.email.includes('@')) {
      return json(res, 400, hubspotError('Invalid input JSON on line 1: email is required', 'VALIDATION_ERROR'), limits);
    }
    switch (current.kind) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'bad-json':
        res.writeHead(200, { 'content-type': 'application/json', ...limits });
        res.end('{"token": ');
        return;
      case 'status':
        return json(res, current.status, current.body ?? hubspotError(`Fake failure ${current.status}`, 'FAKE'), {
          ...limits,
          ...current.headers,
        });
      case 'forbidden': {
        const category = current.category ?? 'MISSING_SCOPES';
        const message =
          category === 'MISSING_SCOPES'
            ? "This app hasn't been granted all required scopes to make this call."
            : 'This account does not have access to visitor identification (Professional or Enterprise only).';
        const extra =
          category === 'MISSING_SCOPES'
            ? {
                errors: [
                  {
                    message: 'One or more of the following scopes are required.',
                    context: { requiredGranularScopes: ['conversations.visitor_identification.tokens.create'] },
                  },
                ],
              }
            : {};
        return json(res, 403, hubspotError(message, category, extra), limits);
      }
      case 'rate-limit': {
        const policy = current.policy ?? 'TEN_SECONDLY_ROLLING';
        const daily = policy === 'DAILY';
        const headers = rateLimitHeaders(daily ? LIMITS.max : 0, daily ? 0 : LIMITS.daily, current.intervalMs);
        const message = daily ? 'You have reached your daily limit.' : 'You have reached your secondly limit.';
        return json(res, 429, hubspotError(message, 'RATE_LIMITS', { policyName: policy }), headers);
      }
      case 'ok': {
        const token = `fake-${++minted}-${randomUUID().slice(0, 8)}-${emailMark(body.email)}`;
        tokens.set(token, body.email);
        return json(res, 200, { token }, limits);
      }
    }
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && TOKEN_PATHS.test(path)) {
      handleToken(req, res, path).catch(() => {
        if (!res.headersSent) json(res, 500, hubspotError('fake failed', 'FAKE'));
      });
      return;
    }
    if (req.method === 'GET' && path === `/${portalId}.js`) {
      res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
      res.end(loaderScript());
      return;
    }
    json(res, 404, hubspotError('Not found', 'OBJECT_NOT_FOUND'));
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const fake: FakeHubSpot = {
    baseUrl,
    loaderUrl: `${baseUrl}/${portalId}.js`,
    loaderTag: `<script type="text/javascript" id="hs-script-loader" async defer src="${baseUrl}/${portalId}.js"></script>`,
    calls,
    tokens,
    latencyMs: options.latencyMs ?? 0,
    behave(next, times = Infinity) {
      behaviour = next;
      remaining = times;
    },
    hold() {
      release();
      held = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        release();
        held = Promise.resolve();
      };
    },
    async idle(quietMs = 25) {
      const from = Date.now();
      while (answering > 0 || Date.now() - Math.max(lastArrival, from) < quietMs) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    reset() {
      release();
      held = Promise.resolve();
      calls.length = 0;
      windowCalls = [];
      day = { date: '', calls: 0 };
      behaviour = { kind: 'ok' };
      remaining = Infinity;
    },
    close() {
      release();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
