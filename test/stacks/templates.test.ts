// Express with EJS, Pug, Handlebars and Nunjucks: the raw-output form prints one working script, the escaped form shows it as text.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express from 'express';
import Handlebars from 'handlebars';
import nunjucks from 'nunjucks';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify } from '../../adapters/express/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { USER_HEADER, userFromHeader } from '../helpers/pages.js';

const stackViews = fileURLToPath(new URL('./views', import.meta.url));
const sharedViews = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const fake = useFakeHubSpot();
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };

/** docs/templates.md's Handlebars view engine: the plain `handlebars` package, each view compiled once. */
function handlebarsEngine(): Parameters<express.Express['engine']>[1] {
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  return (file, data, callback) => {
    const template = compiled.get(file);
    if (template) return callback(null, template(data));
    readFile(file, 'utf8').then((source) => {
      const fresh = Handlebars.compile(source);
      compiled.set(file, fresh);
      callback(null, fresh(data));
    }, callback);
  };
}

const engines: { name: string; raw: string; escaped: string; setup: (app: express.Express) => void }[] = [
  { name: 'EJS', raw: 'page', escaped: 'escaped', setup: (app) => app.set('view engine', 'ejs') },
  { name: 'Pug', raw: 'page', escaped: 'escaped', setup: (app) => app.set('view engine', 'pug') },
  {
    name: 'Handlebars',
    raw: 'page',
    escaped: 'escaped',
    setup: (app) => {
      app.engine('hbs', handlebarsEngine());
      app.set('view engine', 'hbs');
    },
  },
  {
    name: 'Nunjucks',
    raw: 'page',
    escaped: 'escaped',
    setup: (app) => {
      nunjucks.configure([stackViews, sharedViews], { express: app, autoescape: true });
      app.set('view engine', 'njk');
    },
  },
];

function appWith(setup: (app: express.Express) => void): express.Express {
  const app = express();
  app.set('views', [stackViews, sharedViews]);
  setup(app);
  app.use((req, _res, next) => {
    (req as express.Request & { user?: unknown }).user = userFromHeader(req.headers[USER_HEADER]);
    next();
  });
  app.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
  app.get('/:view', (req, res) => res.render(req.params.view, { title: 'Shop' }));
  return app;
}

/** The app once the visitor's token is cached: a cold first page renders while HubSpot is asked, so its template sees null. */
async function warmed(setup: (app: express.Express) => void): Promise<express.Express> {
  const app = appWith(setup);
  await supertest(app).get('/page').set(ADA);
  return app;
}

describe.each(engines)('$name', ({ raw, escaped, setup }) => {
  it('prints hsIdentity.scriptTag in its raw-output form as one script, unescaped, in <head>', async () => {
    const response = await supertest(await warmed(setup))
      .get(`/${raw}`)
      .set(ADA);
    expect(response.status).toBe(200);
    const html = response.text;
    expect(html.match(/<script data-hubspot-identify/g)).toHaveLength(1);
    expect(html.indexOf('<script data-hubspot-identify')).toBeLessThan(html.indexOf('</head>'));
    expect(html).not.toContain('&lt;script');
    expect(html).toContain(fake().calls[0]!.email);
  });

  it('printed in its escaped form, shows the script as text, token and all', async () => {
    const response = await supertest(await warmed(setup))
      .get(`/${escaped}`)
      .set(ADA);
    const body = response.text.slice(response.text.indexOf('<body>'));
    expect(body).toMatch(/<p>&lt;script data-hubspot-identify/);
    const token = [...fake().tokens.keys()].at(-1)!;
    expect(body).toContain(token);
  });
});
