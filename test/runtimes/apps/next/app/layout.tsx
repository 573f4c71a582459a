// The root layout as a Next.js app writes it: the identification script in the head, HubSpot's loader tag in the body.
import type { ReactNode } from 'react';
import { cookies, headers } from 'next/headers';
import { HubSpotIdentify } from '../lib/hubspot';

export default async function RootLayout({ children }: { children: ReactNode }) {
  const visitor = (await cookies()).get('user')?.value ?? null;
  const nonce = (await headers()).get('x-nonce');
  return (
    <html lang="en">
      <head>
        <HubSpotIdentify visitor={visitor} nonce={nonce} />
      </head>
      <body>
        {children}
        <script id="hs-script-loader" async defer src={process.env.HUBSPOT_LOADER_URL} nonce={nonce ?? undefined} />
      </body>
    </html>
  );
}
