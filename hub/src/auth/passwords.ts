import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's minimum recommended parameters (19 MiB, 2 passes, 1 lane):
 * about 20 ms a hash on this class of machine, cheap for logins, costly for guessing.
 */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, ARGON2_OPTIONS);
}

export async function verifySecret(secretHash: string, secret: string): Promise<boolean> {
  try {
    return await verify(secretHash, secret);
  } catch {
    return false;
  }
}

/** A random secret for generated passwords and agent credentials (URL- and shell-safe). */
export function generateSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

/** What the sessions table keeps of a bearer token: its SHA-256, never the token. */
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
