// Child processes the runtime tests start (servers, builds), each killed with everything it started, even when vitest dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// The command runs in a process group of its own (the shell leads it), under a shell that SIGKILLs the whole
// group once our end of its stdin closes: on stop(), and whenever this process ends, even by a signal or a
// crash. The group takes what the command starts too (wrangler's workerd, next's workers).
const WATCHDOG = `exec 3<&0
"$@" <&- &
pid=$!
(read -r _ <&3; kill -KILL 0) >/dev/null 2>&1 &
wait $pid`;

const ANSI_STYLE = /\x1b\[[\d;]*m/g;

/** Bounded: what a failure message quotes of a process's output. */
const OUTPUT_LIMIT = 64 * 1024;

export interface Started {
  readonly child: ChildProcess;
  /** stdout and stderr so far (the last 64 KB). */
  output(): string;
  /** Resolves with the match once the output matches; rejects when the process ends first or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has ended; rejects after timeoutMs. */
  exited(timeoutMs: number): Promise<number | null>;
  /** Kills the process and all it started. */
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** The environment a child gets: ours (npm's settings included), without vitest's own (its NODE_ENV=test is no app's). */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  delete env['NODE_ENV'];
  return { ...env, ...extra };
}

export function start(command: string, args: string[], options: StartOptions): Started {
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? childEnv(),
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (data: Buffer) => {
    // Without colours, which some tools print whatever NO_COLOR says.
    output = (output + data.toString().replace(ANSI_STYLE, '')).slice(-OUTPUT_LIMIT);
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
    child.stdin!.destroy();
    for (const listener of listeners) listener();
  });
  // The child may be gone before we write (EPIPE): nothing to report.
  child.stdin!.on('error', () => undefined);

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) return done(() => resolve(match));
        if (exitCode !== undefined)
          done(() => reject(new Error(`${command} ended (exit ${exitCode}) before printing ${pattern}:\n${output}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${output}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const exited = (timeoutMs: number) =>
    new Promise<number | null>((resolve, reject) => {
      if (exitCode !== undefined) return resolve(exitCode);
      const timer = setTimeout(() => reject(new Error(`${command} did not end within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

  const stop = async () => {
    child.stdin!.end();
    try {
      await exited(5_000);
    } catch {
      // The watchdog did not answer: kill the group ourselves.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  return { child, output: () => output, waitFor, exited, stop };
}

/** The wait's outcome; a process that never got ready is stopped before its failure is passed on. */
export async function stoppedOnFailure<T>(app: Started, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    await app.stop();
    throw error;
  }
}

/** Runs a command to its end; rejects with its output when it fails or outlasts timeoutMs. */
export async function runToEnd(command: string, args: string[], options: StartOptions & { timeoutMs: number }): Promise<string> {
  const started = start(command, args, options);
  let code: number | null;
  try {
    code = await started.exited(options.timeoutMs);
  } catch (error) {
    await started.stop();
    throw error;
  }
  await started.stop();
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${started.output()}`);
  return started.output();
}
