// The same layout and a page on the Edge runtime.
export const runtime = 'edge';

export default function EdgeHome() {
  return <h1>Edge</h1>;
}
