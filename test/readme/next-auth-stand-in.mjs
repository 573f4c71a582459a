// Stands in for a Next.js app's Auth.js setup (`@/auth`): auth() gives the session of a logged-in visitor.
export async function auth() {
  return { user: { email: 'ada@example.com', name: 'Ada Lovelace' } };
}
