// The test app's Next.js config: the folder holding its installed node_modules is the root, not the repository above it.
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, process.env.NEXT_TEST_ROOT ?? '.');

export default {
  turbopack: { root },
  outputFileTracingRoot: root,
};
