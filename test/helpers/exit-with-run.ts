// A setup file for every test worker: when the run's main process dies (a CI timeout's SIGKILL), the worker is killed too, and so is all it started.
//
// Vitest's forked workers do not exit when their parent dies: they keep running as long as anything
// keeps their event loop alive (a redis-server child, a browser, a server, a test's timer), or forever
// when a test blocks. A small shell beside each worker watches the run's pid (HSI_RUN_PID, set by the
// config in the main process) and SIGKILLs the worker once it is gone. The worker's end closes the
// pipes its children watch: redis-server's watchdog kills it, Chromium exits with its DevTools pipe.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// Ends with the worker (its end of stdin closes), or kills the worker within half a second of the run's end.
const REAPER = `run=$1 worker=$2
(while kill -0 "$run" 2>/dev/null; do sleep 0.5; done; kill -9 "$worker") <&- &
read -r _
kill $! 2>/dev/null`;

const STARTED = Symbol.for('hubspot-identify.test.exit-with-run');
const run = Number(process.env['HSI_RUN_PID']) || undefined;
const state = process as unknown as { [STARTED]?: true };

// Not in the main process itself (a threads pool runs tests there), and once per worker.
if (run !== undefined && run !== process.pid && !state[STARTED]) {
  state[STARTED] = true;
  const reaper = spawn('sh', ['-c', REAPER, 'exit-with-run', String(run), String(process.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Never what keeps a worker alive.
  reaper.unref();
  (reaper.stdin as Socket).unref();
  reaper.on('error', () => {});
}
