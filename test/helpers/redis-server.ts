// A real redis-server on a loopback port, started and stopped by the tests (`npm test` provisions it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// redis-server runs under a shell that SIGKILLs it once our end of its stdin closes: on kill(), and
// whenever this process ends, even by a signal or a crash, so no test run leaves a server behind.
const WATCHDOG = `exec 3<&0
redis-server "$@" <&- &
pid=$!
(read -r _ <&3; kill -9 $pid) >/dev/null 2>&1 &
wait $pid`;

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: no goodbye to clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (.ci/run does).');
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hsi-redis-'));
  let child: ChildProcess | undefined;

  const start = () => new Promise<void>((resolve, reject) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const proc = spawn('sh', ['-c', WATCHDOG, 'redis-server', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    proc.once('exit', () => proc.stdin!.destroy());
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    proc.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); if (!output.includes('Ready')) reject(new Error(`redis-server exited ${code}: ${output}`)); });
  });

  const kill = () => new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
