// The package as users receive it: packed, installed from the tarball into CommonJS, ESM and TypeScript projects, and linted.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const consumers = join(root, 'test/consumers');
let workdir: string;
let tarball: string;

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/esm/src/index.js'))) throw new Error('dist/ is missing: `npm test` builds it first (npm run build).');
  workdir = mkdtempSync(join(tmpdir(), 'hsi-consumers-'));
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workdir], root)) as {
    filename: string;
  }[];
  tarball = join(workdir, packed[0]!.filename);
  // One install serves every project below it: the tarball, the frameworks, and TypeScript.
  // Read from the file: some packages (hono) do not export their package.json.
  const versions = (name: string) =>
    `^${(JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version}`;
  writeFileSync(
    join(workdir, 'package.json'),
    JSON.stringify({
      private: true,
      dependencies: {
        'hubspot-identify': `file:${tarball}`,
        express: versions('express'),
        koa: versions('koa'),
        fastify: versions('fastify'),
        hono: versions('hono'),
        typescript: versions('typescript'),
        '@types/express': versions('@types/express'),
        '@types/koa': versions('@types/koa'),
        '@types/node': versions('@types/node'),
      },
      overrides: { 'light-my-request': '6.6.0' },
    }),
  );
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], workdir);
}, 180_000);

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function project(name: string, type: 'module' | 'commonjs', files: string[]): string {
  const dir = join(workdir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type }));
  for (const file of files) copyFileSync(join(consumers, file), join(dir, file));
  return dir;
}

describe('the published package', () => {
  it('ships only dist, README and package.json', () => {
    const listing = run('tar', ['tzf', tarball], workdir).trim().split('\n');
    expect(listing.every((file) => /^package\/(dist\/|README\.md$|package\.json$)/.test(file))).toBe(true);
    expect(listing).toContain('package/dist/cjs/adapters/fastify/index.d.ts');
    expect(listing).toContain('package/dist/esm/adapters/fetch/index.js');
    expect(listing).toContain('package/dist/cjs/adapters/hono/index.d.ts');
  });

  it('works with require() from CommonJS', () => {
    expect(run('node', ['cjs.cjs'], project('cjs', 'commonjs', ['cjs.cjs']))).toContain('cjs ok');
  });

  it('works with import from ES modules', () => {
    expect(run('node', ['esm.mjs'], project('esm', 'module', ['esm.mjs']))).toContain('esm ok');
  });

  it.each([
    { name: 'moduleResolution nodenext (ESM)', type: 'module', module: 'nodenext', moduleResolution: 'nodenext' },
    { name: 'moduleResolution nodenext (CommonJS)', type: 'commonjs', module: 'nodenext', moduleResolution: 'nodenext' },
    // The classic config of many NestJS projects: subpaths resolve through typesVersions, not exports.
    { name: 'module commonjs and the classic moduleResolution node', type: 'commonjs', module: 'commonjs', moduleResolution: 'node' },
  ] as const)(
    'type-checks and runs in TypeScript with $name',
    ({ type, module, moduleResolution }) => {
      const dir = project(`ts-${module}-${moduleResolution}-${type}`, type, ['typed.ts']);
      // skipLibCheck as most apps set it: @types/koa 3.0 does not compile against the content-disposition koa 3.3 installs.
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution,
            target: 'es2022',
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            outDir: 'out',
            types: ['node'],
          },
          files: ['typed.ts'],
        }),
      );
      run(process.execPath, [join(workdir, 'node_modules/typescript/bin/tsc'), '-p', '.'], dir);
      expect(readdirSync(join(dir, 'out'))).toContain('typed.js');
      expect(run('node', ['out/typed.js'], dir)).toContain('typescript ok');
      // tsc over a consumer project takes some 8 s alone, and past 20 s beside two other test files.
    },
    60_000,
  );

  it('passes publint', () => {
    expect(run(process.execPath, [join(root, 'node_modules/publint/src/cli.js'), '--strict', root], root)).toContain('All good');
  });

  it('passes arethetypeswrong in every resolution mode, the classic node10 included', () => {
    const output = run(
      process.execPath,
      [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'json'],
      root,
    );
    const report = JSON.parse(output) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
  });

  it('maps every subpath export to CommonJS declarations for the classic resolution, which ignores exports', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { require?: { types: string } }>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    for (const [subpath, conditions] of Object.entries(manifest.exports)) {
      if (subpath === '.' || !conditions.require) continue;
      expect(manifest.typesVersions['*']![subpath.slice(2)], subpath).toEqual([conditions.require.types]);
    }
  });
});
