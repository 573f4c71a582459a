// A page that streams: the shell (with the layout's head) first, the suspended part half a second later.
import { Suspense } from 'react';

async function Late() {
  await new Promise((resolve) => setTimeout(resolve, 500));
  return <p id="late">late content</p>;
}

export default function Streamed() {
  return (
    <main>
      <h1>Streamed</h1>
      <Suspense fallback={<p>loading</p>}>
        <Late />
      </Suspense>
    </main>
  );
}
