// Passport (local strategy) with express-session, the middleware registered after passport.session(): a logged-in visitor is identified.
import express from 'express';
import session from 'express-session';
import { createRequire } from 'node:module';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify } from '../../adapters/express/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { LOADER } from '../helpers/pages.js';

// Loaded untyped: importing @types/passport would type req.user for every test app in the program.
const require = createRequire(import.meta.url);
type Done = (error: unknown, value?: unknown) => void;
interface Authenticator {
  use(strategy: unknown): void;
  serializeUser(serialize: (user: { id: string }, done: Done) => void): void;
  deserializeUser(deserialize: (id: string, done: Done) => void): void;
  session(): express.RequestHandler;
  authenticate(strategy: string, options: object): express.RequestHandler;
}
const { Passport } = require('passport') as { Passport: new () => Authenticator };
const { Strategy: LocalStrategy } = require('passport-local') as {
  Strategy: new (options: object, verify: (email: string, password: string, done: Done) => void) => unknown;
};

const fake = useFakeHubSpot();
const USERS = new Map([
  ['ada@example.com', { id: '1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', password: 'analytical' }],
]);
const byId = (id: string) => [...USERS.values()].find((user) => user.id === id);

function app(): express.Express {
  const authenticator = new Passport();
  authenticator.use(
    new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
      const user = USERS.get(email);
      done(null, user && user.password === password ? user : false);
    }),
  );
  authenticator.serializeUser((user, done) => done(null, user.id));
  authenticator.deserializeUser((id, done) => done(null, byId(id) ?? false));

  const target = express();
  target.use(express.urlencoded({ extended: false }));
  target.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false }));
  target.use(authenticator.session());
  target.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false })); // after passport.session(): req.user is set
  target.post('/login', authenticator.authenticate('local', { successRedirect: '/', failureRedirect: '/login' }));
  target.get('/', (_req, res) => res.send(`<!doctype html><html><head><title>Shop</title></head><body>${LOADER}</body></html>`));
  return target;
}

describe('Passport local with express-session', () => {
  it('identifies the visitor Passport logged in, with the names from req.user', async () => {
    const agent = supertest.agent(app());
    const login = await agent.post('/login').type('form').send({ email: 'ada@example.com', password: 'analytical' });
    expect(login.status, login.text).toBe(302);
    expect(login.headers['location']).toBe('/');
    const response = await agent.get('/').set('accept', 'text/html');
    expect(response.text.match(/<script data-hubspot-identify/g)).toHaveLength(1);
    expect(fake().calls).toMatchObject([{ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }]);
  });

  it('leaves the page of a visitor who has not logged in as the app made it', async () => {
    const response = await supertest(app()).get('/').set('accept', 'text/html');
    expect(response.text).not.toContain('data-hubspot-identify');
    expect(fake().calls).toEqual([]);
  });
});
