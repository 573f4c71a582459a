// The app's own pages, a plain fetch handler (request) => Response: what each runtime's entry wraps with withHubSpotIdentify.

/** The signed-in visitor: a `user` cookie stands in for the app's session; a session store that fails throws. */
export function visitorOf(request) {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const email = value ? decodeURIComponent(value) : null;
  if (email === 'session-store-down@example.com') throw new Error('the session store is down');
  return email;
}

const HTML = { 'content-type': 'text/html; charset=utf-8' };
const encoder = new TextEncoder();

/** The pages, printing HubSpot's loader tag (here the fake's) as HubSpot's install snippet does. */
export function createPages({ loaderUrl }) {
  const head = (title) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
    `<script type="text/javascript" id="hs-script-loader" async defer src="${loaderUrl}"></script></head><body>`;

  return async function pages(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/') {
      return new Response(`${head('Home')}<h1>Home</h1></body></html>`, {
        headers: { ...HTML, 'cache-control': 'public, max-age=60', etag: '"home-v1"' },
      });
    }
    if (pathname === '/streamed') {
      // The head at once, the rest half a second later: the script must go out with the head, not wait for the end.
      const body = new ReadableStream({
        async start(controller) {
          controller.enqueue(encoder.encode(`${head('Streamed')}<h1>Streamed</h1>`));
          await new Promise((resolve) => setTimeout(resolve, 500));
          controller.enqueue(encoder.encode('<p id="late">late content</p></body></html>'));
          controller.close();
        },
      });
      return new Response(body, { headers: HTML });
    }
    if (pathname === '/data.json') return Response.json({ ok: true });
    return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  };
}
