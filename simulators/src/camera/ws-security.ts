/**
 * WS-Security UsernameToken checking, as ONVIF Core §5.12.2 requires of a
 * device: PasswordDigest = Base64(SHA-1(nonce + created + password)), with the
 * nonce Base64-encoded on the wire (OASIS UsernameToken Profile 1.0 §3.1).
 * Replay protection follows the profile's advice: a `Created` too far from the
 * device clock is refused, and a nonce seen within that window is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ns } from './onvif-namespaces.js';
import { child, type XmlElement } from './xml-reader.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export type UsernameTokenResult = { ok: true; username: string } | { ok: false; reason: string };

const passwordDigestType = '#PasswordDigest';
const passwordTextType = '#PasswordText';

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class UsernameTokenVerifier {
  readonly #users: readonly Credentials[];
  readonly #maxSkewMs: number;
  readonly #now: () => number;
  readonly #seenNonces = new Map<string, number>();

  constructor(users: readonly Credentials[], options: { maxSkewMs?: number; now?: () => number } = {}) {
    this.#users = users;
    // Clients derive `Created` from GetSystemDateAndTime, which has whole-second
    // resolution, and some never sync at all: five minutes is the usual device tolerance.
    this.#maxSkewMs = options.maxSkewMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Checks the wsse:Security header of a request (the SOAP Header element, if any). */
  verify(soapHeader: XmlElement | undefined): UsernameTokenResult {
    const token = child(child(soapHeader, 'Security', ns.wsse), 'UsernameToken', ns.wsse);
    if (!token) return { ok: false, reason: 'no WS-Security UsernameToken' };
    const username = child(token, 'Username')?.text ?? '';
    const passwordEl = child(token, 'Password');
    const user = this.#users.find((u) => u.username === username);
    if (!passwordEl) return { ok: false, reason: 'UsernameToken without Password' };
    const type = passwordEl.attrs['Type'] ?? passwordTextType;
    if (type.endsWith(passwordTextType)) {
      return user && sameText(passwordEl.text, user.password) ? { ok: true, username } : { ok: false, reason: 'bad username or password' };
    }
    if (!type.endsWith(passwordDigestType)) return { ok: false, reason: `unsupported password type ${type}` };

    const nonceText = child(token, 'Nonce')?.text;
    const created = child(token, 'Created')?.text;
    if (!nonceText || !created) return { ok: false, reason: 'PasswordDigest needs Nonce and Created' };
    const createdMs = Date.parse(created);
    const now = this.#now();
    if (Number.isNaN(createdMs)) return { ok: false, reason: 'Created is not a dateTime' };
    if (Math.abs(now - createdMs) > this.#maxSkewMs) return { ok: false, reason: 'Created is outside the accepted clock skew' };
    if (!user || !sameText(passwordDigest(Buffer.from(nonceText, 'base64'), created, user.password), passwordEl.text)) {
      return { ok: false, reason: 'bad username or password' };
    }
    this.#forgetOldNonces(now);
    const nonceKey = `${nonceText}|${created}`;
    if (this.#seenNonces.has(nonceKey)) return { ok: false, reason: 'nonce replayed' };
    this.#seenNonces.set(nonceKey, createdMs + this.#maxSkewMs);
    return { ok: true, username };
  }

  #forgetOldNonces(now: number): void {
    if (this.#seenNonces.size < 1024) return;
    for (const [key, expires] of this.#seenNonces) if (expires < now) this.#seenNonces.delete(key);
    // Bound memory under a flood: forget the oldest (Map keeps insertion order).
    for (const key of this.#seenNonces.keys()) {
      if (this.#seenNonces.size <= 8192) break;
      this.#seenNonces.delete(key);
    }
  }
}
