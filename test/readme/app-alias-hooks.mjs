// Module resolution hooks for README samples: `@/auth`, a Next.js app's own module, resolves to a stand-in session.
const STAND_INS = { '@/auth': new URL('./next-auth-stand-in.mjs', import.meta.url).href };

export async function resolve(specifier, context, nextResolve) {
  const standIn = STAND_INS[specifier];
  return standIn ? { url: standIn, shortCircuit: true } : nextResolve(specifier, context);
}
