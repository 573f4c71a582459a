// NestJS 11 on Express and on Fastify, wired as the README shows: pages identified through @Render and through a returned string.
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, Module, Render, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NextFunction, Request, Response } from 'express';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
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

@Module({ controllers: [PagesController] })
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
  async function fastifyApp() {
    const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
    app.getHttpAdapter().getInstance().addHook('onRequest', async (request) => {
      (request as typeof request & { user?: unknown }).user = request.headers[USER_HEADER] ? { email: request.headers[USER_HEADER] } : undefined;
    });
    // Cast: this repository also has a newer fastify than the 5.11.3 Nest pins; an app has one copy.
    await app.register(fastifyIdentify as unknown as Parameters<typeof app.register>[0], options());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    close = () => app.close();
    return app;
  }

  it('identifies a page a controller returns as a string with @Header(\'Content-Type\', \'text/html\')', async () => {
    const app = await fastifyApp();
    const response = await app.inject({ method: 'GET', url: '/plain', headers: ADA });
    expect(response.statusCode).toBe(200);
    expect(scripts(response.body)).toBe(1);
    expect(response.body.indexOf('data-hubspot-identify')).toBeLessThan(response.body.indexOf('id="hs-script-loader"'));
    expect(response.headers['cache-control']).toContain('private');
  });
});
