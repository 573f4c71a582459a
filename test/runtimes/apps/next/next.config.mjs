// The test app's Next.js config: the folder holding its installed node_modules is the root, not the repository above it.
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, process.env.NEXT_TEST_ROOT ?? '.');

export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  // The tests type-check the app in one of their builds only, to spend the time once.
  typescript: { ignoreBuildErrors: process.env.NEXT_TEST_SKIP_TYPECHECK === '1' },
};
