/**
 * HTTP Digest access authentication (RFC 2617, MD5), server side, shared by
 * the snapshot endpoint and the RTSP server (RTSP reuses HTTP's scheme,
 * RFC 2326 §D.2.1). Nonces are stateless: a hex timestamp plus an HMAC of it,
 * so they need no table and expire by age (answered with stale=true).
 *
 * The challenge is written the way the most literal clients parse it:
 * node-onvif splits on ", " and "=", so the header starts with `Digest realm=`,
 * nonces are hex and no value holds a comma or "=".
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DigestResult = 'ok' | 'missing' | 'invalid' | 'stale';

export interface DigestOptions {
  realm: string;
  username: string;
  password: string;
  /** qop="auth" (RFC 2617) for HTTP; RTSP cameras usually send the RFC 2069 form without qop. */
  qop: boolean;
  nonceTtlMs?: number;
  now?: () => number;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** Parses `Digest k=v, k2="v, 2"` parameters (quoted strings may hold commas). */
export function parseDigestParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of header.replace(/^\s*Digest\s+/i, '').matchAll(re)) {
    params.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  return params;
}

export class DigestAuthenticator {
  readonly #opts: Required<Omit<DigestOptions, 'now'>> & { now: () => number };
  readonly #secret = randomBytes(16);

  constructor(options: DigestOptions) {
    if (/[",=]/.test(options.realm)) throw new Error('digest realm must not contain quotes, commas or "="');
    this.#opts = { nonceTtlMs: 5 * 60_000, now: Date.now, ...options };
  }

  get realm(): string {
    return this.#opts.realm;
  }

  #nonce(): string {
    const stamp = Math.floor(this.#opts.now()).toString(16).padStart(12, '0');
    return stamp + createHmac('sha256', this.#secret).update(stamp).digest('hex').slice(0, 32);
  }

  /** The WWW-Authenticate value for a 401. */
  challenge(stale = false): string {
    const parts = [`Digest realm="${this.#opts.realm}"`];
    if (this.#opts.qop) parts.push('qop="auth"');
    parts.push(`nonce="${this.#nonce()}"`, 'algorithm=MD5');
    if (stale) parts.push('stale=true');
    return parts.join(', ');
  }

  #nonceAge(nonce: string): number | undefined {
    if (!/^[0-9a-f]{44}$/.test(nonce)) return undefined;
    const stamp = nonce.slice(0, 12);
    const mac = createHmac('sha256', this.#secret).update(stamp).digest('hex').slice(0, 32);
    if (!timingSafeEqual(Buffer.from(mac), Buffer.from(nonce.slice(12)))) return undefined;
    return this.#opts.now() - parseInt(stamp, 16);
  }

  /** Checks an Authorization header for `method` (the request URI is taken from the header's uri=). */
  verify(method: string, authorization: string | undefined): DigestResult {
    if (!authorization || !/^\s*Digest\s/i.test(authorization)) return 'missing';
    const p = parseDigestParams(authorization);
    const username = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (!username || !nonce || uri === undefined || !response) return 'invalid';
    if (p.get('realm') !== this.#opts.realm) return 'invalid';
    const algorithm = p.get('algorithm') ?? 'MD5';
    if (algorithm.toUpperCase() !== 'MD5') return 'invalid';
    const age = this.#nonceAge(nonce);
    if (age === undefined) return 'invalid';

    const ha1 = md5(`${username}:${this.#opts.realm}:${this.#opts.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = p.get('qop');
    let expected: string;
    if (qop === undefined) expected = md5(`${ha1}:${nonce}:${ha2}`);
    else if (qop === 'auth') expected = md5(`${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:auth:${ha2}`);
    else return 'invalid';
    const ok =
      username === this.#opts.username &&
      expected.length === response.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(response.toLowerCase()));
    if (!ok) return 'invalid';
    return age > this.#opts.nonceTtlMs ? 'stale' : 'ok';
  }
}

/** Client side, for tests and tools: the Authorization value answering `challenge`. */
export function digestAuthorization(
  challenge: string,
  opts: { method: string; uri: string; username: string; password: string },
): string {
  const c = parseDigestParams(challenge);
  const realm = c.get('realm') ?? '';
  const nonce = c.get('nonce') ?? '';
  const ha1 = md5(`${opts.username}:${realm}:${opts.password}`);
  const ha2 = md5(`${opts.method}:${opts.uri}`);
  const fields = [`username="${opts.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${opts.uri}"`];
  if (c.get('qop')?.split(',').includes('auth')) {
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    fields.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`, `response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`);
  } else {
    fields.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
  }
  return `Digest ${fields.join(', ')}`;
}
