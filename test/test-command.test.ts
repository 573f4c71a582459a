// `npm test` itself: its last line counts failed hooks, files and unhandled errors, it provisions or names what it needs, and leaves no redis-server behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const fixtures = join(root, 'test/fixtures/test-run');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

function runFixtures(...files: string[]): { status: number | null; lastLine: string } {
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', fixtures, ...files], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: result.status, lastLine: result.stdout.trimEnd().split('\n').at(-1) ?? '' };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
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
      const result = spawnSync(process.execPath, ['scripts/provision.mjs'], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: emptyPath, CHROMIUM_PATH: join(emptyPath, 'chromium') } });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('apt-get install -y redis-server chromium');
    } finally {
      rmSync(emptyPath, { recursive: true, force: true });
    }
  });
});

describe('redis-server', () => {
  it('regression: an interrupted run no longer leaves its redis-server running', async () => {
    const child = spawn(process.execPath, [vitest, 'run', '--root', fixtures, 'redis-hang'], { cwd: root, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stderr = '';
    const port = await new Promise<number>((found, fail) => {
      child.stderr!.on('data', (data: Buffer) => {
        stderr += data.toString();
        const match = /REDIS_PORT=(\d+)/.exec(stderr);
        if (match) found(Number(match[1]));
      });
      child.once('exit', () => fail(new Error(`the run ended before starting redis-server:\n${stderr}`)));
    });
    expect(await portOpen(port)).toBe(true);

    // A CI job timing out: the runner is killed without a chance to clean up, its workers follow.
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    let open = true;
    for (let attempt = 0; open && attempt < 100; attempt++) {
      open = await portOpen(port);
      if (open) await new Promise((wait) => setTimeout(wait, 50));
    }
    expect(open).toBe(false);
  });
});
