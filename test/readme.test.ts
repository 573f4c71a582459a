// The README as a newcomer pastes it: every runnable sample starts, identifies a page load, and stops; every link lands.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHubSpot } from '../src/testing/index.js';

const root = resolve(import.meta.dirname, '..');
const runner = join(root, 'test/readme/run-sample.mjs');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Sample {
  /** The heading the sample sits under, for the test's name. */
  title: string;
  /** How it runs, from its `<!-- runs: … -->` marker: `server`, `fetch-export`, or `route-export GET <path>`. */
  how: string;
  language: string;
  code: string;
  line: number;
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm;
const CODE_LANGUAGES = new Set(['js', 'mjs', 'ts', 'jsx', 'tsx']);

/** Every fenced JavaScript or TypeScript block with the marker above it (blank lines between allowed). */
function codeBlocks(markdown: string): { language: string; code: string; line: number; marker: string | undefined; title: string }[] {
  const blocks = [];
  for (const match of markdown.matchAll(FENCE)) {
    const language = match[1]!;
    if (!CODE_LANGUAGES.has(language)) continue;
    const before = markdown.slice(0, match.index);
    const marker = /<!--\s*((?:runs|not run):[^>]*?)\s*-->\s*$/.exec(before)?.[1];
    const title = [...before.matchAll(/^#+ (.*)$/gm)].at(-1)?.[1] ?? 'README';
    blocks.push({ language, code: match[2]!, line: before.split('\n').length, marker, title });
  }
  return blocks;
}

const blocks = codeBlocks(readme);
const samples: Sample[] = blocks
  .filter((block) => block.marker?.startsWith('runs:'))
  .map((block) => ({
    title: block.title,
    how: block.marker!.slice('runs:'.length).trim(),
    language: block.language,
    code: block.code,
    line: block.line,
  }));

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** A sample as a file a user would save: TypeScript transpiled as their build would, in a folder where `hubspot-identify` resolves to this package. */
function writeSample(dir: string, sample: Sample, index: number): string {
  const file = join(dir, `sample-${index}.mjs`);
  const code = sample.language.startsWith('ts')
    ? ts.transpileModule(sample.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
      }).outputText
    : sample.code;
  writeFileSync(file, code);
  return file;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(sample: Sample, file: string, port: number, hubspotUrl: string): Running {
  const [how, , path] = sample.how.split(/\s+/);
  const child = spawn(process.execPath, [runner, how!, file, ...(path ? [path] : [])], {
    cwd: dirname(file),
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-readme-test',
      FAKE_HUBSPOT_URL: hubspotUrl,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

async function waitForPort(port: number, running: Running): Promise<void> {
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (exited) throw new Error(`The sample exited before it listened:\n${running.output()}`);
    if (Date.now() > deadline) throw new Error(`The sample did not listen on ${port} within 10 s:\n${running.output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function stop(running: Running): Promise<void> {
  running.child.stdin!.end();
  const stopped = await Promise.race([
    running.exited.then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), 2_000)),
  ]);
  if (!stopped) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
}

describe('the README', () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist/esm/src/index.js'))) throw new Error('dist/ is missing: `npm test` builds it first (npm run build).');
    // Inside the package, so that `import … from 'hubspot-identify/express'` resolves to this package's dist by self-reference.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp/readme-'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('marks every JavaScript and TypeScript block as run by this test, or says why not', () => {
    const unmarked = blocks.filter((block) => block.marker === undefined).map((block) => `line ${block.line} (${block.title})`);
    expect(unmarked).toEqual([]);
    expect(samples.map((sample) => sample.title)).toEqual(['Express', 'Koa', 'Fastify', 'Hono', 'Any fetch handler', 'Next.js']);
  });

  it('keeps the two commands a fresh clone needs: npm run demo and npm test', () => {
    const contributing = readme.slice(readme.indexOf('## Contributing'));
    expect(contributing).toMatch(/^npm run demo\b/m);
    expect(contributing).toMatch(/^npm test\b/m);
  });

  // Concurrently, each with its own fake HubSpot: a sample's run is mostly Node loading its modules.
  it.concurrent.each(samples.map((sample, index) => [`${sample.title} (line ${sample.line}, ${sample.how})`, sample, index] as const))(
    '%s runs as pasted and identifies the visitor',
    async (_name, sample, index) => {
      const file = writeSample(dir, sample, index);
      const port = await freePort();
      const hubspot = await startFakeHubSpot();
      const running = start(sample, file, port, hubspot.baseUrl);
      try {
        await waitForPort(port, running);
        const route = /^route-export GET (\S+)$/.exec(sample.how)?.[1];
        if (route) {
          // identifyWidget's request: the page's own fetch().
          const response = await fetch(`http://127.0.0.1:${port}${route}`, {
            headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'empty' },
          });
          expect(response.status, running.output()).toBe(200);
          const body = (await response.json()) as { email: string; token: string; expiresAt: number };
          expect(body.email).toBe('ada@example.com');
          expect(hubspot.tokens.get(body.token)).toBe('ada@example.com');
          expect(body.expiresAt).toBeGreaterThan(Date.now());
        } else {
          const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
          expect(response.status, running.output()).toBe(200);
          const page = await response.text();
          const token = /<script data-hubspot-identify>.*"identificationEmail":"ada@example\.com","identificationToken":"([^"]+)"/.exec(
            page,
          )?.[1];
          expect(token, page).toBeDefined();
          expect(hubspot.tokens.get(token!)).toBe('ada@example.com');
          expect(page.indexOf('<script data-hubspot-identify>')).toBeLessThan(page.indexOf('</head>'));
          expect(response.headers.get('cache-control')).toBe('private');
        }
      } finally {
        await stop(running);
        await hubspot.close();
      }
    },
  );
});

/** Headings of a markdown file as GitHub makes their anchors. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const outsideCode = markdown.replace(FENCE, '');
  for (const [, heading] of outsideCode.matchAll(/^#+ (.*)$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

describe('links between the README and docs/', () => {
  const pages = [
    'README.md',
    'CHANGELOG.md',
    'bench/README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it.each(pages)('every relative link in %s lands on a file and heading that exist', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const broken: string[] = [];
    for (const [, target] of text.replace(FENCE, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path === '' ? page : relative(root, resolve(root, dirname(page), path));
      if (!existsSync(join(root, file))) {
        broken.push(`${target} (no ${file})`);
        continue;
      }
      if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(join(root, file), 'utf8')).has(anchor))
        broken.push(`${target} (no heading #${anchor} in ${file})`);
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  it('has a row for every error code the package can report', () => {
    const codes = [...readFileSync(join(root, 'src/errors.ts'), 'utf8').matchAll(/\| '(HSI_[A-Z_]+)'/g)].map(([, code]) => code!);
    const rows = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    expect(codes.length).toBeGreaterThan(15);
    expect(codes.filter((code) => !rows.includes(`\`${code}\``))).toEqual([]);
  });
});
