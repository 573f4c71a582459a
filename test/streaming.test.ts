// Streamed HTML, end to end: React's renderToPipeableStream and Node streams through each framework, over real sockets.
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createElement as h, Suspense, use } from 'react';
import { renderToPipeableStream } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import fastifyIdentify from '../adapters/fastify/index.js';
import { hubspotIdentify as koaIdentify } from '../adapters/koa/index.js';
import { LOADER } from './helpers/pages.js';
import { useFakeHubSpot } from './helpers/hubspot.js';

const fake = useFakeHubSpot();

const LATE_MS = 300;

/** A React page whose shell streams at once and whose <Late/> part arrives LATE_MS later. */
function App() {
  const late = new Promise<string>((resolve) => setTimeout(() => resolve('late content ✓'), LATE_MS));
  function Late() {
    return h('p', { id: 'late' }, use(late));
  }
  return h(
    'html',
    null,
    h('head', null, h('meta', { charSet: 'utf-8' }), h('title', null, 'React SSR — ünïcode')),
    h(
      'body',
      null,
      h('h1', null, 'Shell 🚀'),
      h(Suspense, { fallback: h('p', null, 'loading…') }, h(Late)),
      // biome-ignore lint/security/noDangerouslySetInnerHtml: the page's own loader, as a real app prints it
      h('div', { dangerouslySetInnerHTML: { __html: LOADER } }),
    ),
  );
}

function renderReact(onShell: (pipe: (destination: NodeJS.WritableStream) => void) => void): void {
  const stream = renderToPipeableStream(h(App), { onShellReady: () => onShell(stream.pipe) });
}

interface Received {
  chunks: { at: number; text: string }[];
  headers: Record<string, unknown>;
}

/** GETs a page over a real socket, noting when each chunk arrived. */
function fetchChunks(server: Server, path: string): Promise<Received> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/html', 'x-user': 'ada@example.com' } }, (res) => {
      const chunks: Received['chunks'] = [];
      res.on('data', (chunk: Buffer) => chunks.push({ at: performance.now() - started, text: chunk.toString('utf8') }));
      res.on('end', () => resolve({ chunks, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false as const, visitor: () => 'ada@example.com' });

const servers: Record<string, () => Promise<Server>> = {
  express: async () => {
    const app = express();
    app.use(expressIdentify(options()));
    app.get('/react', (_req, res) =>
      renderReact((pipe) => {
        res.type('html');
        pipe(res);
      }),
    );
    return app.listen(0, '127.0.0.1');
  },
  koa: async () => {
    const app = new Koa();
    app.use(koaIdentify(options()));
    app.use(async (ctx) => {
      const body = new PassThrough();
      await new Promise<void>((resolve) =>
        renderReact((pipe) => {
          pipe(body);
          resolve();
        }),
      );
      ctx.type = 'html';
      ctx.body = body;
    });
    return app.listen(0, '127.0.0.1');
  },
  fastify: async () => {
    const app = Fastify();
    await app.register(fastifyIdentify, options());
    app.get('/react', (_request, reply) => {
      const body = new PassThrough();
      renderReact((pipe) => {
        pipe(body);
        reply.type('text/html; charset=utf-8').send(body);
      });
      return reply;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  },
};

describe.each(Object.keys(servers))('%s: streamed React SSR', (name) => {
  it('injects into the shell on the fly, before the late part is rendered', async () => {
    const server = await servers[name]!();
    await new Promise((resolve) => (server.listening ? resolve(null) : server.once('listening', resolve)));
    try {
      const { chunks, headers } = await fetchChunks(server, '/react');
      const html = chunks.map((c) => c.text).join('');
      const scriptAt = chunks.findIndex((c) => c.text.includes('data-hubspot-identify'));
      const lateAt = chunks.findIndex((c) => c.text.includes('late content ✓'));
      expect(scriptAt, 'script arrived').toBeGreaterThanOrEqual(0);
      expect(lateAt, 'late part arrived').toBeGreaterThan(scriptAt);
      expect(html.match(/data-hubspot-identify/g)).toHaveLength(1);
      expect(html.indexOf('data-hubspot-identify')).toBeLessThan(html.indexOf('</head>'));
      expect(html).toContain('React SSR — ünïcode');
      expect(headers['content-length']).toBeUndefined();
      expect(headers['cache-control']).toBe('private');
      const settings = JSON.parse(/\}\)\(window,(\{[^<]*?\}),(?:true|false)\);<\/script>/.exec(html)![1]!);
      expect(fake().tokens.get(settings.identificationToken)).toBe('ada@example.com');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
