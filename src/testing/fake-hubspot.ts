// A fake HubSpot on loopback: the visitor identification endpoint (with configurable latency and failures) and a loader script.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loaderScript } from './loader-script.js';

/** What the token endpoint does: answer, fail with a status, cut the connection, or answer bad JSON. */
export type FakeBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
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
  reset(): void;
  close(): Promise<void>;
}

const TOKEN_PATHS = /^\/(conversations\/v3\/visitor-identification|visitor-identification\/\d{4}-\d{2})\/tokens\/create$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function hubspotError(status: number, message: string, category: string) {
  return { status: 'error', message, correlationId: `fake-${status}-${Date.now()}`, category };
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const portalId = options.portalId ?? '12345';
  const calls: FakeTokenCall[] = [];
  const tokens = new Map<string, string>();
  let behaviour: FakeBehaviour = { kind: 'ok' };
  let remaining = Infinity;
  let minted = 0;

  async function handleToken(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readBody(req);
    let body: Partial<FakeTokenCall> = {};
    try { body = JSON.parse(raw) as Partial<FakeTokenCall>; } catch { /* answered below */ }
    calls.push({ email: String(body.email), firstName: body.firstName, lastName: body.lastName, path, authorization: req.headers.authorization });
    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs));
    const current = behaviour;
    if (--remaining <= 0) { behaviour = { kind: 'ok' }; remaining = Infinity; }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (!bearer || (options.accessToken !== undefined && bearer !== options.accessToken)) {
      return json(res, 401, hubspotError(401, 'Authentication credentials not found.', 'INVALID_AUTHENTICATION'));
    }
    if (typeof body.email !== 'string' || !body.email.includes('@')) {
      return json(res, 400, hubspotError(400, 'email is required', 'VALIDATION_ERROR'));
    }
    switch (current.kind) {
      case 'reset': res.socket?.destroy(); return;
      case 'bad-json': res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"token": '); return;
      case 'status': return json(res, current.status, current.body ?? hubspotError(current.status, `Fake failure ${current.status}`, 'FAKE'), current.headers);
      case 'ok': {
        const digest = createHash('sha256').update(body.email.toLowerCase()).digest('hex').slice(0, 12);
        const token = `fake-${++minted}-${digest}`;
        tokens.set(token, body.email);
        return json(res, 200, { token });
      }
    }
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && TOKEN_PATHS.test(path)) {
      handleToken(req, res, path).catch(() => { if (!res.headersSent) json(res, 500, hubspotError(500, 'fake failed', 'FAKE')); });
      return;
    }
    if (req.method === 'GET' && path === `/${portalId}.js`) {
      res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
      res.end(loaderScript(Object.fromEntries(tokens)));
      return;
    }
    json(res, 404, hubspotError(404, 'Not found', 'OBJECT_NOT_FOUND'));
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
    reset() {
      calls.length = 0;
      behaviour = { kind: 'ok' };
      remaining = Infinity;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
