import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeIdToken } from '../engine/cloud-tasks/fake-cloud-tasks-delivery.js';
import type { WorkerAuthSettings } from '../engine/config/distributed-env.js';
import { type CallerVerifier, createCallerVerifier, WORKER_SECRET_HEADER } from './worker-auth.js';

const SERVICE_URL = 'https://timer-ingest-abc-ew.a.run.app';
const TASKS_ACCOUNT = 'servo-tasks@servo-prod.iam.gserviceaccount.com';
const NOW = new Date('2026-11-27T12:00:00Z');

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let google: KeyPair;
let stranger: KeyPair;
let oidc: CallerVerifier;

const settings: WorkerAuthSettings = {
  mode: 'oidc',
  audiences: [SERVICE_URL],
  serviceAccounts: [TASKS_ACCOUNT],
  jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
};

beforeAll(async () => {
  google = await generateKeyPair('RS256');
  stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(google.publicKey)), kid: 'google-1', alg: 'RS256', use: 'sig' };
  oidc = createCallerVerifier(settings, { now: () => NOW, keys: createLocalJWKSet({ keys: [jwk] }) });
});

function request(headers: Record<string, string>, url = '/internal/timers/fired'): IncomingMessage {
  return { headers, url } as unknown as IncomingMessage;
}

async function idToken(claims: JWTPayload = {}, key: KeyPair = google): Promise<string> {
  const iat = Math.floor(NOW.getTime() / 1000) - 60;
  return new SignJWT({
    iss: 'https://accounts.google.com',
    aud: SERVICE_URL,
    sub: '1234567890',
    email: TASKS_ACCOUNT,
    email_verified: true,
    iat,
    exp: iat + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'google-1' })
    .sign(key.privateKey);
}

async function rejection(
  verifier: CallerVerifier,
  incoming: IncomingMessage,
): Promise<{ code: string; message: string }> {
  try {
    await verifier.verify(incoming);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('the caller was accepted');
}

describe('worker caller verification, OIDC (GCP mode)', () => {
  it('accepts a Google-signed ID token for the service URL from an accepted service account', async () => {
    await expect(
      oidc.verify(request({ authorization: `Bearer ${await idToken()}` })),
    ).resolves.toBeUndefined();
  });

  it("accepts Cloud Tasks' default audience, the full task URL of this service", async () => {
    const token = await idToken({ aud: `${SERVICE_URL}/internal/timers/fired` });
    await expect(oidc.verify(request({ authorization: `Bearer ${token}` }))).resolves.toBeUndefined();
  });

  it('refuses a missing token', async () => {
    const error = await rejection(oidc, request({}));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toMatch(/OIDC ID token is required/);
  });

  it('refuses a token signed by another key', async () => {
    const token = await idToken({}, stranger);
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).message).toMatch(
      /not signed by Google/,
    );
  });

  it('refuses an unsigned token (alg none), as the Cloud Tasks stand-in sends', async () => {
    const token = fakeIdToken(
      { serviceAccountEmail: TASKS_ACCOUNT, audience: SERVICE_URL },
      SERVICE_URL,
      NOW.getTime(),
    );
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).code).toBe('UNAUTHORIZED');
  });

  it('refuses a token for another audience, naming the claim', async () => {
    const token = await idToken({ aud: 'https://someone-else.a.run.app' });
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).message).toMatch(
      /audience/,
    );
  });

  it('refuses a token for another path of the same service', async () => {
    const token = await idToken({ aud: `${SERVICE_URL}/push/sales/customer_signups` });
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).message).toMatch(
      /audience/,
    );
  });

  it('refuses an expired token', async () => {
    const iat = Math.floor(NOW.getTime() / 1000) - 7200;
    const token = await idToken({ iat, exp: iat + 3600 });
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).message).toMatch(/expired/);
  });

  it('refuses another issuer', async () => {
    const token = await idToken({ iss: 'https://issuer.example.com' });
    expect((await rejection(oidc, request({ authorization: `Bearer ${token}` }))).message).toMatch(/issuer/);
  });

  it('refuses a service account not listed, and an unverified email', async () => {
    const other = await idToken({ email: 'someone@servo-prod.iam.gserviceaccount.com' });
    expect((await rejection(oidc, request({ authorization: `Bearer ${other}` }))).message).toMatch(
      /not from an accepted service account/,
    );
    const unverified = await idToken({ email_verified: false });
    expect((await rejection(oidc, request({ authorization: `Bearer ${unverified}` }))).code).toBe(
      'UNAUTHORIZED',
    );
  });

  it('answers UNAVAILABLE (retry later) when Google’s keys cannot be fetched', async () => {
    // A port that refuses connections: the key set cannot be fetched.
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((done) => closed.close(() => done()));
    const verifier = createCallerVerifier(
      { ...settings, jwksUrl: `http://127.0.0.1:${port}/certs` },
      { now: () => NOW },
    );
    const error = await rejection(verifier, request({ authorization: `Bearer ${await idToken()}` }));
    expect(error.code).toBe('UNAVAILABLE');
  });
});

describe('worker caller verification, shared secret', () => {
  const secret = createCallerVerifier({ mode: 'secret', secret: 'worker-secret-0123456789' });

  it('accepts the secret in its header or as a bearer token', async () => {
    await expect(
      secret.verify(request({ [WORKER_SECRET_HEADER]: 'worker-secret-0123456789' })),
    ).resolves.toBeUndefined();
    await expect(
      secret.verify(request({ authorization: 'Bearer worker-secret-0123456789' })),
    ).resolves.toBeUndefined();
  });

  it('refuses a missing or wrong secret without echoing it', async () => {
    expect((await rejection(secret, request({}))).message).toMatch(/worker secret is required/);
    const wrong = await rejection(secret, request({ [WORKER_SECRET_HEADER]: 'guess-0123456789' }));
    expect(wrong.code).toBe('UNAUTHORIZED');
    expect(wrong.message).not.toContain('guess');
  });
});
