// Late authentication in Express: route-level passport.authenticate and NestJS guards set req.user after every middleware ran; the page is identified when it is sent.
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Module, Render, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { createRequire } from 'node:module';
import supertest from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hubspotIdentify, type ExpressOptions } from '../../adapters/express/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { LOADER, USER_HEADER } from '../helpers/pages.js';

const require = createRequire(import.meta.url);
type Done = (error: unknown, value?: unknown) => void;
interface Authenticator {
  use(strategy: unknown): void;
  initialize(): express.RequestHandler;
  authenticate(strategy: string, options: object): express.RequestHandler;
}
const { Passport } = require('passport') as { Passport: new () => Authenticator };
const { Strategy: LocalStrategy } = require('passport-local') as {
  Strategy: new (options: object, verify: (email: string, password: string, done: Done) => void) => unknown;
};

const fake = useFakeHubSpot();
const PAGE = `<!doctype html><html><head><title>Account</title></head><body>${LOADER}</body></html>`;
const ADA = '/account?email=ada@example.com&password=analytical';
const scripts = (html: string) => (html.match(/<script data-hubspot-identify/g) ?? []).length;
const emailIn = (html: string) => /"identificationEmail":"([^"]+)"/.exec(html)?.[1];

/** An app whose guarded routes authenticate with passport.authenticate on the route, after hubspotIdentify ran. */
function passportApp(options: ExpressOptions = {}): express.Express {
  const authenticator = new Passport();
  authenticator.use(
    new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
      done(null, email === 'ada@example.com' && password === 'analytical' ? { email, firstName: 'Ada' } : false);
    }),
  );
  const guard = authenticator.authenticate('local', { session: false });
  const app = express();
  app.use(authenticator.initialize());
  app.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false, ...options }));
  app.get('/account', guard, (_req, res) => {
    res.send(PAGE);
  });
  app.get('/raw', guard, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  app.get('/', (_req, res) => {
    res.send(PAGE);
  });
  app.get('/api', guard, (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

const page = (app: express.Express, path: string, cookie?: string) =>
  supertest(app)
    .get(path)
    .set({ accept: 'text/html', ...(cookie ? { cookie } : {}) });

describe('Express: route-level passport.authenticate', () => {
  it('identifies the visitor the route authenticated: the send waits for the cold token, and a cached one is injected at once', async () => {
    const app = passportApp();
    const cold = await page(app, ADA);
    expect(cold.status).toBe(200);
    expect(emailIn(cold.text)).toBe('ada@example.com');
    expect(scripts(cold.text)).toBe(1);
    expect(cold.headers['cache-control']).toBe('private');
    const cached = await page(app, ADA);
    expect(emailIn(cached.text)).toBe('ada@example.com');
    expect(fake().calls).toHaveLength(1);
  });

  it('sends the page anonymous when HubSpot answers after timeout, and caches the late token for the next page', async () => {
    fake().latencyMs = 400;
    const app = passportApp({ timeout: 50 });
    const late = await page(app, ADA);
    expect(late.status).toBe(200);
    expect(late.text).toBe(PAGE);
    fake().latencyMs = 0;
    await vi.waitFor(async () => expect(emailIn((await page(app, ADA)).text)).toBe('ada@example.com'));
    expect(fake().calls).toHaveLength(1);
  });

  it('a raw writeHead/end page waits for its token as any page does: its writes are held, and it goes out identified on the first load', async () => {
    const app = passportApp();
    const raw = '/raw' + ADA.slice('/account'.length);
    const first = await page(app, raw);
    expect(emailIn(first.text)).toBe('ada@example.com');
    expect(first.headers['cache-control']).toBe('private');
    expect(fake().calls).toHaveLength(1);
  });

  it('a JSON answer of a late-authenticated page load is not identified, and HubSpot is not called', async () => {
    const response = await page(passportApp(), '/api' + ADA.slice('/account'.length));
    expect(response.body).toEqual({ ok: true });
    expect(fake().calls).toEqual([]);
  });

  it('the late-identified page sets the logout marker, and the next anonymous page resets', async () => {
    const app = passportApp();
    const identified = await page(app, ADA);
    const marker = ([] as string[]).concat(identified.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('hsi_v='));
    expect(marker).toMatch(/^hsi_v=[\w-]{22};/);
    // The guard refuses an anonymous visitor with passport's plain 400: not HTML, so untouched.
    const refused = await page(app, '/account', marker!.split(';')[0]);
    expect(refused.status).toBe(400);
    expect(refused.headers['set-cookie']).toBeUndefined();
    const loggedOut = await page(app, '/', marker!.split(';')[0]);
    expect(loggedOut.text).toMatch(/clear\(\{ ?resetWidget: ?true ?\}\)/);
    expect(scripts(loggedOut.text)).toBe(1);
    expect(loggedOut.headers['set-cookie']).toEqual([
      expect.stringMatching(/^hsi_v=~[\w-]{8}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
  });
});

describe('NestJS on Express: a guard sets req.user', () => {
  const views = fileURLToPath(new URL('../fixtures/views', import.meta.url));

  class UserGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const req = context.switchToHttp().getRequest<express.Request & { user?: unknown }>();
      const email = req.headers[USER_HEADER];
      if (typeof email === 'string') req.user = { email };
      return true;
    }
  }

  @Controller()
  @UseGuards(UserGuard)
  class GuardedController {
    @Get()
    @Render('page')
    home() {
      return { title: 'Nest' };
    }
  }

  @Module({ controllers: [GuardedController] })
  class GuardedModule {}

  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('identifies the page the guard authenticated, cold and cached', async () => {
    const app = await NestFactory.create<NestExpressApplication>(GuardedModule, { logger: false });
    app.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
    app.setBaseViewsDir(views);
    app.setViewEngine('ejs');
    await app.init();
    close = () => app.close();
    const http = supertest(app.getHttpServer());
    for (let i = 0; i < 2; i++) {
      const response = await http.get('/').set({ accept: 'text/html', [USER_HEADER]: 'ada@example.com' });
      expect(response.status).toBe(200);
      expect(scripts(response.text)).toBe(1);
      expect(emailIn(response.text)).toBe('ada@example.com');
    }
    expect(fake().calls).toHaveLength(1);
    const anonymous = await http.get('/').set({ accept: 'text/html' });
    expect(scripts(anonymous.text)).toBe(0);
  });
});
