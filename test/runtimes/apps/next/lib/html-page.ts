// The HTML a route handler answers, whole or streamed in two parts (the second half a second later), with the loader tag.
const headers = { 'content-type': 'text/html; charset=utf-8' };

const head = (title: string, nonce: string | null) =>
  `<!doctype html><html><head><title>${title}</title>` +
  `<script id="hs-script-loader" async defer src="${process.env.HUBSPOT_LOADER_URL}"${nonce ? ` nonce="${nonce}"` : ''}></script></head><body>`;

export function htmlPage(request: Request, title: string): Response {
  return new Response(`${head(title, request.headers.get('x-nonce'))}<h1>${title}</h1></body></html>`, { headers });
}

export function streamedHtmlPage(request: Request, title: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(head(title, request.headers.get('x-nonce'))));
      await new Promise((resolve) => setTimeout(resolve, 500));
      controller.enqueue(encoder.encode(`<p id="late">late content</p></body></html>`));
      controller.close();
    },
  });
  return new Response(body, { headers });
}
