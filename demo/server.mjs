// The demo: an Express page with a login and logout (reset), and a client-rendered page using identifyWidget (the fake HubSpot unless a token is set).
import { randomBytes } from 'node:crypto';
import express from 'express';
import { fileURLToPath } from 'node:url';
import { hubspotIdentify } from 'hubspot-identify/express';
import { startFakeHubSpot } from 'hubspot-identify/testing';

const port = Number(process.env.PORT ?? 3000);
const realToken = process.env.HUBSPOT_ACCESS_TOKEN;
const portalId = process.env.HUBSPOT_PORTAL_ID;
if (realToken && !portalId) {
  console.error('HUBSPOT_ACCESS_TOKEN is set: set HUBSPOT_PORTAL_ID too, so the page can load your HubSpot chat widget.');
  process.exit(1);
}

const fake = realToken ? undefined : await startFakeHubSpot();
const loaderTag = fake
  ? fake.loaderTag
  : `<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/${portalId}.js"></script>`;

// A minimal cookie session, enough for a demo: session id -> user.
const sessions = new Map();
const sessionOf = (req) => sessions.get(/(?:^|;\s*)demo_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1]);

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use((req, _res, next) => {
  req.user = sessionOf(req);
  next();
});
app.use(hubspotIdentify({ ...(fake ? { accessToken: 'demo-token', baseUrl: fake.baseUrl } : {}), tokenRoute: '/hubspot/token' }));
// The browser entry, served as a page would load it from a bundle.
app.use('/hubspot-identify', express.static(fileURLToPath(new URL('../dist/esm/src/browser', import.meta.url))));

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

app.get('/', (req, res) => {
  const user = req.user;
  const identity = res.locals.hsIdentity;
  res.send(`<!doctype html>
<html><head><meta charset="utf-8"><title>hubspot-identify demo</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}input,button{font:inherit;padding:.3rem .5rem}code{background:#f3f3f3;padding:0 .2rem}</style>
</head><body>
<h1>hubspot-identify demo</h1>
<p>HubSpot: ${fake ? `the bundled fake at <code>${fake.baseUrl}</code>` : `portal ${escapeHtml(portalId)}`}</p>
${
  user
    ? `<p>Logged in as <strong>${escapeHtml(user.email)}</strong>. ${identity ? 'The widget was told who you are (see the badge, bottom right).' : 'HubSpot gave no token: the widget sees an unknown visitor.'}</p>
<form method="post" action="/logout" id="logout"><button>Log out</button></form>
<script>document.getElementById('logout').addEventListener('submit', function () {
  if (window.HubSpotConversations) window.HubSpotConversations.clear({ resetWidget: true });
});</script>
<p><a href="/app">The client-rendered page</a></p>`
    : `<form method="post" action="/login">
<p><label>Email <input name="email" type="email" required value="ada@example.com"></label></p>
<p><label>First name <input name="firstName" value="Ada"></label> <label>Last name <input name="lastName" value="Lovelace"></label></p>
<button>Log in</button></form>`
}
<p>Settings given to the widget: <code id="settings"></code></p>
<script>addEventListener('load', function () { document.getElementById('settings').textContent = JSON.stringify(window.hsConversationsSettings || null); });</script>
${loaderTag}
</body></html>`);
});

// A client-rendered page: the HTML is the same for everyone, the browser asks /hubspot/token who the visitor is.
app.get('/app', (_req, res) => {
  res.set('Cache-Control', 'no-store').send(`<!doctype html>
<html><head><meta charset="utf-8"><title>hubspot-identify demo: client-rendered</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}button{font:inherit;padding:.3rem .5rem}code{background:#f3f3f3;padding:0 .2rem}</style>
</head><body>
<h1>Client-rendered page</h1>
<p id="who">Asking the server who you are...</p>
<p><button id="logout" hidden>Log out</button> <a href="/">Back</a></p>
<p>Settings given to the widget: <code id="settings"></code></p>
<script type="module">
import { identifyWidget, resetWidget } from '/hubspot-identify/index.js';
const show = (identity) => {
  document.getElementById('who').textContent = identity ? 'Identified as ' + identity.email + ' (token refreshed before it expires).' : 'Anonymous: log in on the first page.';
  document.getElementById('logout').hidden = !identity;
  document.getElementById('settings').textContent = JSON.stringify(window.hsConversationsSettings || null);
};
show(await identifyWidget({ route: '/hubspot/token' }));
document.getElementById('logout').addEventListener('click', async () => {
  await fetch('/logout', { method: 'POST' });
  resetWidget();
  show(null);
});
</script>
${loaderTag}
</body></html>`);
});

app.post('/login', (req, res) => {
  const id = randomBytes(16).toString('hex');
  sessions.set(id, { email: String(req.body.email ?? ''), firstName: req.body.firstName, lastName: req.body.lastName });
  res.set('Set-Cookie', `demo_session=${id}; Path=/; HttpOnly; SameSite=Lax`).redirect(303, '/');
});

app.post('/logout', (req, res) => {
  const id = /(?:^|;\s*)demo_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (id) sessions.delete(id);
  res.set('Set-Cookie', 'demo_session=; Path=/; Max-Age=0').redirect(303, '/');
});

const server = app.listen(port, '127.0.0.1', (error) => {
  if (error?.code === 'EADDRINUSE') {
    console.error(`Port ${port} is in use: run PORT=8080 npm run demo (or any free port; PORT=0 picks one).`);
    process.exit(1);
  }
  if (error) throw error;
  console.log(`hubspot-identify demo on http://127.0.0.1:${server.address().port}/ (HubSpot: ${fake ? 'fake, ' + fake.baseUrl : 'real'})`);
});
