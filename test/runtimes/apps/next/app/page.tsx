// A server-rendered page under the layout (Node.js runtime).
export default function Home() {
  return <h1>Home</h1>;
}
