// `npm test` itself: its last line counts failed hooks, files and unhandled errors, it provisions or names what it needs, and an interrupted run leaves nothing running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './helpers/redis-server.js';

const root = resolve(import.meta.dirname, '..');
const fixtures = join(root, 'test/fixtures/test-run');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

function runFixtures(...files: string[]): { status: number | null; lastLine: string } {
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', fixtures, ...files], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { status: result.status, lastLine: result.stdout.trimEnd().split('\n').at(-1) ?? '' };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('the last line of a run', () => {
  it('counts tests a failed beforeAll kept from running, a failed afterAll, a file that did not load and an unhandled rejection as failures', () => {
    const { status, lastLine } = runFixtures('outcomes', 'import-error');
    // Passed: the afterAll suite's test, 'passes', and the test whose rejection escaped.
    // Failed: 2 tests behind the beforeAll, the afterAll, 'fails', the file that did not load, the unhandled rejection.
    expect(lastLine).toBe('3 passed, 6 failed, 1 skipped');
    expect(status).toBe(1);
  });

  it('says 0 failed and exits 0 when everything passed', () => {
    const { status, lastLine } = runFixtures('passing');
    expect(lastLine).toBe('1 passed, 0 failed, 1 skipped');
    expect(status).toBe(0);
  });
});

describe('provisioning', () => {
  it('stops before running anything on a machine without redis-server and Chromium, naming the command that installs both', () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'hsi-no-tools-'));
    try {
      const result = spawnSync(process.execPath, ['scripts/provision.mjs'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, PATH: emptyPath, CHROMIUM_PATH: join(emptyPath, 'chromium') },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('apt-get install -y redis-server chromium');
    } finally {
      rmSync(emptyPath, { recursive: true, force: true });
    }
  });
});

/** Every process descended from `pid` now. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).stdout.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/** Those of `pids` still running, with their command lines; a zombie (dead, not yet reaped) is not running. */
function running(pids: number[]): string[] {
  if (pids.length === 0) return [];
  const table = spawnSync('ps', ['-o', 'pid=,stat=,args=', '-p', pids.join(',')], { encoding: 'utf8' }).stdout.trim();
  return table === '' ? [] : table.split('\n').filter((line) => !/^\s*\d+\s+Z/.test(line));
}

/**
 * Runs a fixture until it says READY, kills the run's main process as a CI job timeout does (SIGKILL,
 * no chance to clean up), and waits up to `limit` ms for every process the run had started to end.
 */
async function interruptRun(fixture: string, limit = 5_000): Promise<{ ready: string; survivors: string[]; endedIn: number }> {
  const child = spawn(process.execPath, [vitest, 'run', '--root', fixtures, fixture], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  const ready = await new Promise<string>((found, fail) => {
    child.stderr!.on('data', (data: Buffer) => {
      stderr += data.toString();
      const line = /^READY.*$/m.exec(stderr);
      if (line) found(line[0]);
    });
    child.once('exit', () => fail(new Error(`the run ended before it was ready:\n${stderr}`)));
  });
  const started = descendants(child.pid!);
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  let survivors = running(started);
  while (survivors.length > 0 && Date.now() - killedAt < limit) {
    await new Promise((wait) => setTimeout(wait, 50));
    survivors = running(started);
  }
  return { ready, survivors, endedIn: Date.now() - killedAt };
}

const portOf = (ready: string) => Number(/port=(\d+)/.exec(ready)![1]);

describe('an interrupted run leaves nothing running', () => {
  it('an interrupted run leaves no redis-server running (no worker outlives the run holding it)', async () => {
    const { ready, survivors, endedIn } = await interruptRun('redis-hang');
    expect(survivors).toEqual([]);
    expect(await portOpen(portOf(ready))).toBe(false);
    // Within a second of the run's end on an idle machine; the margin is for a loaded one.
    expect(endedIn).toBeLessThan(5_000);
  });

  it('a worker blocked for good, which never notices its parent is gone: it and its redis-server still end', async () => {
    const { ready, survivors } = await interruptRun('redis-blocked');
    expect(survivors).toEqual([]);
    expect(await portOpen(portOf(ready))).toBe(false);
  });

  it("redis-server's own watchdog ends it within a second of the run's main process, while the test process that started it lives on", async () => {
    // A stand-in for the run's main process, so this test's own worker can outlive it.
    const run = spawn('sleep', ['60'], { stdio: 'ignore' });
    const previous = process.env['HSI_RUN_PID'];
    process.env['HSI_RUN_PID'] = String(run.pid);
    const redis = await startRedisServer().finally(() => {
      if (previous === undefined) delete process.env['HSI_RUN_PID'];
      else process.env['HSI_RUN_PID'] = previous;
    });
    try {
      expect(await portOpen(redis.port)).toBe(true);
      const killedAt = Date.now();
      run.kill('SIGKILL');
      while ((await portOpen(redis.port)) && Date.now() - killedAt < 5_000) await new Promise((wait) => setTimeout(wait, 50));
      expect(await portOpen(redis.port)).toBe(false);
      expect(Date.now() - killedAt).toBeLessThan(5_000);
    } finally {
      await redis.stop();
    }
  });

  it('kill() then start() brings it back on the same port: the watchdog keeps its directory when told it is a kill()', async () => {
    const redis = await startRedisServer();
    try {
      await redis.kill();
      expect(await portOpen(redis.port)).toBe(false);
      await redis.start();
      expect(await portOpen(redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(await portOpen(redis.port)).toBe(false);
  });

  it('Chromium and its helpers end with the run', async () => {
    const { survivors } = await interruptRun('chromium-hang');
    expect(survivors).toEqual([]);
  });
});
