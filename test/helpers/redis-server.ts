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

// redis-server runs under a shell that SIGKILLs it when the test process ends, even by a signal or a crash
// (its end of our stdin closes), and when the run's main process ends (HSI_RUN_PID, polled), whatever
// the test process does then: vitest's workers outlive a SIGKILLed main process. Either way the data
// directory goes too. A line on stdin is kill(), which keeps the directory for start().
const WATCHDOG = `run=$1 dir=$2
shift 2
exec 3<&0 </dev/null
redis-server "$@" 3<&- &
pid=$!
(if read -r _ <&3; then kill -9 $pid; else kill -9 $pid; rm -rf "$dir"; fi) >/dev/null 2>&1 &
reader=$!
watcher=
if [ -n "$run" ]; then
  (while kill -0 "$run"; do sleep 0.5; done; kill -9 $pid; rm -rf "$dir") 3<&- >/dev/null 2>&1 &
  watcher=$!
fi
wait $pid
kill $reader $watcher 2>/dev/null`;

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

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
      const proc = spawn('sh', ['-c', WATCHDOG, 'redis-watchdog', process.env['HSI_RUN_PID'] ?? '', dir, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
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
      proc.once('exit', (code) => {
        clearTimeout(timer);
        if (!output.includes('Ready')) reject(new Error(`redis-server exited ${code}: ${output}`));
      });
    });

  const kill = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin!.end('kill\n');
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
