import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import { call } from './http.js';

export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: string;
  readonly expires_in: number;
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export const PASSWORD = 'correct horse battery staple';

export async function register(authUrl: string, username: string): Promise<string> {
  const answer = await call<{ id: string }>(`${authUrl}/auth/register`, {
    json: { username, password: PASSWORD },
  });
  expect(answer.status).toBe(201);
  return answer.body.id;
}

export async function login(authUrl: string, username: string): Promise<TokenPair> {
  const answer = await call<TokenPair>(`${authUrl}/auth/login`, {
    json: { username, password: PASSWORD },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** A new user, logged in. */
export async function loggedIn(authUrl: string, prefix: string): Promise<TokenPair> {
  const username = uniqueName(prefix);
  await register(authUrl, username);
  return login(authUrl, username);
}

/** Logs the session out (asserting 204); returns when, for the latency of its enforcement. */
export async function logout(authUrl: string, tokens: TokenPair): Promise<number> {
  const answer = await call(`${authUrl}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  expect(answer.status).toBe(204);
  return Date.now();
}
