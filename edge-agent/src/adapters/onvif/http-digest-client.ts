/**
 * The client side of HTTP Digest access authentication (RFC 7616/2617, MD5;
 * RFC 2069 when the challenge has no qop), for camera snapshot URIs and RTSP
 * (which reuses HTTP's scheme, RFC 2326 §D.2.1). Basic is answered too, as
 * some cameras still ask for it on snapshots.
 */
import { createHash, randomBytes } from 'node:crypto';
import { networkCause } from './onvif-soap-client.js';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** Parses `Digest k=v, k2="v, 2"` (quoted values may hold commas). */
export function parseChallenge(header: string): { scheme: string; params: Map<string, string> } {
  const scheme = /^\s*(\S+)/.exec(header)?.[1]?.toLowerCase() ?? '';
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of header.replace(/^\s*\S+\s+/, '').matchAll(re)) {
    params.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  return { scheme, params };
}

/** The Authorization value answering a WWW-Authenticate challenge, for `method` on `uri` (the request-target as sent). */
export function authorizationFor(
  challenge: string,
  request: { method: string; uri: string; username: string; password: string; nc?: number },
): string {
  const { scheme, params } = parseChallenge(challenge);
  if (scheme === 'basic') return `Basic ${Buffer.from(`${request.username}:${request.password}`).toString('base64')}`;
  const realm = params.get('realm') ?? '';
  const nonce = params.get('nonce') ?? '';
  const ha1 = md5(`${request.username}:${realm}:${request.password}`);
  const ha2 = md5(`${request.method}:${request.uri}`);
  const q = (v: string) => `"${v.replace(/(["\\])/g, '\\$1')}"`;
  const fields = [`username=${q(request.username)}`, `realm=${q(realm)}`, `nonce=${q(nonce)}`, `uri=${q(request.uri)}`];
  const opaque = params.get('opaque');
  if (params.get('qop')?.split(',').map((s) => s.trim()).includes('auth')) {
    const cnonce = randomBytes(8).toString('hex');
    const nc = (request.nc ?? 1).toString(16).padStart(8, '0');
    fields.push('qop=auth', `nc=${nc}`, `cnonce=${q(cnonce)}`, `response=${q(md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`))}`);
  } else {
    fields.push(`response=${q(md5(`${ha1}:${nonce}:${ha2}`))}`);
  }
  fields.push('algorithm=MD5');
  if (opaque !== undefined) fields.push(`opaque=${q(opaque)}`);
  return `Digest ${fields.join(', ')}`;
}

export class HttpFetchError extends Error {
  override readonly name = 'HttpFetchError';
  constructor(
    readonly kind: 'unauthorized' | 'unreachable' | 'timeout' | 'http',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * GET `url` with Digest (or Basic) authentication: one request to get the
 * challenge, one answering it. Resolves with the body of a 2xx answer.
 */
export async function getWithDigest(
  url: string,
  options: { username: string; password: string; timeoutMs: number; signal?: AbortSignal; maxBytes?: number },
): Promise<{ body: Buffer; contentType: string | undefined }> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  const target = new URL(url);
  const get = async (authorization?: string): Promise<Response> => {
    try {
      return await fetch(target, { headers: authorization ? { authorization } : {}, signal });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new HttpFetchError('timeout', `no answer from ${target.host} within ${options.timeoutMs} ms`);
      throw new HttpFetchError('unreachable', `cannot reach ${target.host}: ${networkCause(e)}`);
    }
  };
  let res = await get();
  if (res.status === 401) {
    const challenge = res.headers.get('www-authenticate');
    await res.arrayBuffer().catch(() => undefined);
    if (!challenge) throw new HttpFetchError('unauthorized', `HTTP 401 from ${target.host} without a challenge`, 401);
    res = await get(authorizationFor(challenge, { method: 'GET', uri: target.pathname + target.search, username: options.username, password: options.password }));
    if (res.status === 401) {
      await res.arrayBuffer().catch(() => undefined);
      throw new HttpFetchError('unauthorized', `HTTP 401 from ${target.host}: wrong user or password`, 401);
    }
  }
  if (res.status < 200 || res.status > 299) {
    await res.arrayBuffer().catch(() => undefined);
    throw new HttpFetchError('http', `HTTP ${res.status} from ${target.host}${target.pathname}`, res.status);
  }
  let body: Buffer;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new HttpFetchError('unreachable', `answer from ${target.host} cut off: ${(err as Error).message}`);
  }
  if (options.maxBytes !== undefined && body.length > options.maxBytes) throw new HttpFetchError('http', `answer of ${body.length} bytes exceeds ${options.maxBytes}`);
  return { body, contentType: res.headers.get('content-type') ?? undefined };
}
