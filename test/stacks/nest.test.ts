// NestJS 11 on Express and on Fastify, wired as docs/fastify.md shows: pages identified through @Render and through a returned string.
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import {
  Controller,
  Get,
  Header,
  Injectable,
  Module,
  Render,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NextFunction, Request, Response } from 'express';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubSpotIdentifyError } from '../../src/index.js';
import { hubspotIdentify } from '../../adapters/express/index.js';
import fastifyIdentify from '../../adapters/fastify/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { LOADER, USER_HEADER } from '../helpers/pages.js';

const views = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const fake = useFakeHubSpot();
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };
const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false as const });
const scripts = (html: string) => (html.match(/<script data-hubspot-identify/g) ?? []).length;

/** What a session or Passport puts on the request before the middleware runs. */
function sessionUser(req: Request, _res: Response, next: NextFunction): void {
  (req as Request & { user?: unknown }).user = req.headers[USER_HEADER] ? { email: req.headers[USER_HEADER] } : undefined;
  next();
}

@Controller()
class PagesController {
  @Get()
  @Render('page')
  home() {
    return { title: 'Nest' };
  }

  @Get('plain')
  @Header('Content-Type', 'text/html')
  plain() {
    return `<!doctype html><html><head><title>Nest</title></head><body>${LOADER}</body></html>`;
  }
}

/** An AuthGuard as @nestjs/passport's runs it: inside the route, after every app-level hook and middleware. */
@Injectable()
class SessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    request.user = request.headers[SESSION] ? { email: request.headers[SESSION] } : undefined;
    return true;
  }
}

const SESSION = 'x-session';
const NEST_PAGE = `<!doctype html><html><head><title>Nest</title></head><body>${LOADER}</body></html>`;

@Controller()
class GuardedController {
  @Get('guarded')
  @UseGuards(SessionGuard)
  @Header('Content-Type', 'text/html')
  guarded() {
    return NEST_PAGE;
  }

  @Get('untyped')
  untyped() {
    return NEST_PAGE;
  }
}

@Module({ controllers: [PagesController, GuardedController] })
class AppModule {}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('NestJS on @nestjs/platform-express', () => {
  async function expressApp(module: typeof AppModule, wire?: (app: NestExpressApplication) => void) {
    const app = await NestFactory.create<NestExpressApplication>(module, { logger: false });
    wire?.(app);
    app.setBaseViewsDir(views);
    app.setViewEngine('ejs');
    await app.init();
    close = () => app.close();
    return supertest(app.getHttpServer());
  }

  it('identifies a page rendered with @Render when the middleware is registered with app.use in main.ts', async () => {
    const http = await expressApp(AppModule, (app) => {
      app.use(sessionUser);
      app.use(hubspotIdentify(options()));
    });
    const response = await http.get('/').set(ADA);
    expect(response.status).toBe(200);
    expect(scripts(response.text)).toBe(1);
    expect(response.text).toContain(fake().calls[0]!.email);
    expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('</head>'));
  });

  it('identifies it when the middleware is applied in a NestModule', async () => {
    @Module({ controllers: [PagesController] })
    class IdentifiedModule implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        consumer.apply(sessionUser, hubspotIdentify(options())).forRoutes('{*splat}');
      }
    }
    const http = await expressApp(IdentifiedModule);
    const response = await http.get('/').set(ADA);
    expect(scripts(response.text)).toBe(1);
    expect(fake().calls.map((call) => call.email)).toEqual(['ada@example.com']);
  });
});

describe('NestJS on @nestjs/platform-fastify', () => {
  let errors: HubSpotIdentifyError[] = [];

  async function fastifyApp(extra: Record<string, unknown> = {}) {
    errors = [];
    const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', async (request) => {
        (request as typeof request & { user?: unknown }).user = request.headers[USER_HEADER]
          ? { email: request.headers[USER_HEADER] }
          : undefined;
      });
    // Cast: this repository also has a newer fastify than the 5.11.3 Nest pins; an app has one copy.
    await app.register(fastifyIdentify as unknown as Parameters<typeof app.register>[0], {
      ...options(),
      onError: (e: HubSpotIdentifyError) => errors.push(e),
      ...extra,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    close = () => app.close();
    return app;
  }

  it("identifies a page a controller returns as a string with @Header('Content-Type', 'text/html')", async () => {
    const app = await fastifyApp();
    const response = await app.inject({ method: 'GET', url: '/plain', headers: ADA });
    expect(response.statusCode).toBe(200);
    expect(scripts(response.body)).toBe(1);
    expect(response.body.indexOf('data-hubspot-identify')).toBeLessThan(response.body.indexOf('id="hs-script-loader"'));
    expect(response.headers['cache-control']).toContain('private');
  });

  describe('a page behind an AuthGuard, which sets the user after the plugin looked', () => {
    const guarded = (app: NestFastifyApplication) =>
      app.inject({ method: 'GET', url: '/guarded', headers: { accept: 'text/html', [SESSION]: 'ada@example.com' } });

    it('went out anonymous: a cold token is fetched when the page is sent, within timeout', async () => {
      const app = await fastifyApp({ timeout: 5000 });
      fake().latencyMs = 150;
      const response = await guarded(app);
      expect(scripts(response.body)).toBe(1);
      expect(response.body).toContain('ada@example.com');
      expect(response.headers['cache-control']).toContain('private');
      expect(fake().calls.map((call) => call.email)).toEqual(['ada@example.com']);
    });

    it('a cached token is injected at once, without calling HubSpot', async () => {
      const app = await fastifyApp();
      await guarded(app);
      fake().behave({ kind: 'status', status: 500 });
      expect(scripts((await guarded(app)).body)).toBe(1);
      expect(fake().calls).toHaveLength(1);
      expect(errors).toEqual([]);
    });

    it('HubSpot slower than timeout: the page goes out anonymous', async () => {
      const app = await fastifyApp({ timeout: 50 });
      fake().latencyMs = 1000;
      const response = await guarded(app);
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(NEST_PAGE);
      expect(errors.map((e) => e.code)).toEqual(['HSI_TIMEOUT']);
    });
  });

  it('a controller returning an HTML string without a content type went out text/plain, silently not injected: one HSI_NOT_HTML names the fix', async () => {
    const app = await fastifyApp();
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ method: 'GET', url: '/untyped', headers: ADA });
      expect(response.body).toBe(NEST_PAGE);
    }
    expect(errors.map((e) => e.code)).toEqual(['HSI_NOT_HTML']);
    expect(errors[0]!.message).toContain("@Header('Content-Type', 'text/html')");
  });

  it("the Express middleware on a Fastify app logged a misleading 'nonce function threw': the page renders and one HSI_INVALID_OPTION says to use hubspot-identify/fastify", async () => {
    const errors: HubSpotIdentifyError[] = [];
    const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
    app.use(hubspotIdentify({ ...options(), onError: (e) => errors.push(e) }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    close = () => app.close();
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ method: 'GET', url: '/plain', headers: ADA });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<title>Nest</title>');
    }
    expect(errors.map((e) => e.code)).toEqual(['HSI_INVALID_OPTION']);
    expect(errors[0]!.message).toContain('hubspot-identify/fastify');
    expect(errors[0]!.message).not.toContain('nonce');
  });
});
