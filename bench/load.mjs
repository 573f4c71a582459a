// A light keep-alive load generator: raw sockets, one request in flight per connection, so the
// server, not the client, is what saturates a core (autocannon took most of a core here).
import { connect } from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');

/** Reads whole HTTP/1.1 responses off a socket; calls onResponse(status) for each. */
function responseReader(onResponse) {
  let buffered = Buffer.alloc(0);
  let need = -1; // bytes of body still to come, or -2 while reading a chunked body
  let status = 0;
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (need === -1) {
        const end = buffered.indexOf(CRLF2);
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString('latin1');
        status = Number(head.slice(9, 12));
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        buffered = buffered.subarray(end + 4);
        need = length ? Number(length[1]) : /\r\ntransfer-encoding:\s*chunked/i.test(head) ? -2 : 0;
      }
      if (need === -2) {
        const end = buffered.indexOf(CHUNKED_END);
        if (end === -1) return;
        buffered = buffered.subarray(end + CHUNKED_END.length);
      } else {
        if (buffered.length < need) return;
        buffered = buffered.subarray(need);
      }
      need = -1;
      onResponse(status);
    }
  };
}

/**
 * Sends GET requests to 127.0.0.1:port over `connections` keep-alive sockets for `seconds`,
 * cycling through `requests` (pre-encoded). Resolves with counts once every socket is idle.
 */
export function load({ port, connections, seconds, requests }) {
  const encoded = requests.map(({ path, headers }) =>
    Buffer.from(
      `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
      'latin1',
    ),
  );
  let next = 0;
  let completed = 0;
  let failed = 0;
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let open = connections;
    for (let i = 0; i < connections; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      const send = () => socket.write(encoded[next++ % encoded.length]);
      socket.on('connect', send);
      socket.on(
        'data',
        responseReader((status) => {
          completed++;
          if (status < 200 || status >= 300) failed++;
          if (performance.now() < stopAt) send();
          else socket.end();
        }),
      );
      socket.on('error', reject);
      socket.on('close', () => {
        if (--open === 0) resolve({ completed, failed, seconds: (performance.now() - started) / 1000 });
      });
    }
  });
}
