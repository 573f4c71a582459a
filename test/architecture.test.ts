// The shape of the code: layers without climbs, adapters entering the core through at most two modules, web entries free of Node built-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Every TypeScript file under a folder, relative to the repository. */
function filesUnder(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** What a file imports or re-exports at runtime or for types: repository paths for relative specifiers, the specifier itself otherwise. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  const specifiers = [...source.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier,
  );
}

/** Runtime imports only (`import type` and `export type` are erased). */
function runtimeImportsOf(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  const specifiers = [...source.matchAll(/^(?:import|export)(?!\s+type\b)\b[^'"]*?from\s+'([^']+)'/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier,
  );
}

// Each module's layer: a module may import from its own layer and those below it, never above.
const LAYERS: [RegExp, number][] = [
  [/^src\/(errors|report|maybe-promise|timers|hash)\.ts$/, 0],
  [/^src\/browser\/(page|visitor-fingerprint)\.ts$/, 1],
  [/^src\/tokens\//, 1],
  [/^src\/html\//, 2],
  [/^src\/options\.ts$/, 2],
  [/^src\/http\//, 3],
  [/^src\/identifier\.ts$/, 4],
  [/^src\/page-flow\.ts$/, 5],
  [/^src\/node\//, 6],
  [/^src\/(index|redis)\.ts$|^src\/testing\/|^src\/browser\/index\.ts$/, 7],
];

function layerOf(file: string): number {
  const found = LAYERS.find(([pattern]) => pattern.test(file));
  if (!found) throw new Error(`${file} has no layer: add it to LAYERS`);
  return found[1];
}

describe('src/ layers', () => {
  const files = filesUnder('src');

  it.each(files)('%s imports nothing from a layer above it', (file) => {
    const own = layerOf(file);
    const climbs = importsOf(file).filter((target) => target.startsWith('src/') && layerOf(target) > own);
    expect(climbs).toEqual([]);
  });
});

describe('adapters', () => {
  const adapters = readdirSync(join(root, 'adapters'));

  it.each(adapters)('%s enters the core through at most two modules', (adapter) => {
    const core = new Set(
      filesUnder(`adapters/${adapter}`)
        .flatMap(importsOf)
        .filter((target) => target.startsWith('src/')),
    );
    expect([...core].length, [...core].join(', ')).toBeLessThanOrEqual(2);
  });
});

/** Every src/ and adapters/ module a file loads at runtime, transitively, and the bare specifiers they name. */
function runtimeClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const target of runtimeImportsOf(file)) {
      if (target.startsWith('src/') || target.startsWith('adapters/')) visit(target);
      else packages.add(target);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('web entries', () => {
  it.each(['src/index.ts', 'adapters/fetch/index.ts', 'adapters/hono/index.ts', 'src/browser/index.ts'])(
    '%s loads no Node built-in',
    (entry) => {
      const { packages } = runtimeClosure(entry);
      expect([...packages].filter((name) => name.startsWith('node:'))).toEqual([]);
    },
  );
});
