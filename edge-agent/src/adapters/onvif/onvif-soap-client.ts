/**
 * The agent's ONVIF SOAP client: SOAP 1.2 over HTTP POST with a WS-Security
 * UsernameToken digest (ONVIF Core §5.12), for what node-onvif lacks —
 * PullPoint events, Door Control — and for the health checks, where the
 * cause of a failure must be told apart precisely (wrong password, no route,
 * a cut-off answer). It mirrors the simulators' OnvifSoapClient, plus what a
 * client for real devices needs: the device's clock offset in `Created`
 * (devices refuse a token outside their skew window, and camera clocks drift),
 * timeouts, and errors classified by cause.
 */
import { createHash, randomBytes } from 'node:crypto';
import { child, escapeXml, parseXml, textAt, XmlParseError, type XmlNode } from './soap-xml.js';

/** Prefixes declared on every envelope, so request bodies may use any of them. */
const namespaces: Record<string, string> = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tdc: 'http://www.onvif.org/ver10/doorcontrol/wsdl',
  tac: 'http://www.onvif.org/ver10/accesscontrol/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
};
export const onvifNamespaces = namespaces;

/**
 * Why a call failed:
 * - `unauthorized`: the device refused the credentials (ter:NotAuthorized, HTTP 401);
 * - `unreachable`: no connection, or it was reset (device off, wrong address, offline);
 * - `timeout`: no answer in time;
 * - `malformed`: an answer that is not a SOAP envelope (cut-off XML, HTML error page);
 * - `fault`: a well-formed SOAP fault (unknown token, unsupported action...);
 * - `aborted`: the caller gave up (the agent is stopping).
 */
export type OnvifErrorKind = 'unauthorized' | 'unreachable' | 'timeout' | 'malformed' | 'fault' | 'aborted';

export class OnvifError extends Error {
  override readonly name = 'OnvifError';
  constructor(
    readonly kind: OnvifErrorKind,
    message: string,
    /** Fault subcodes, outermost first (e.g. ['ter:InvalidArgVal', 'ter:NotFound']). */
    readonly subcodes: readonly string[] = [],
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface SoapCredentials {
  username: string;
  password: string;
}

export interface SoapCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** WS-Addressing Action and To (PullPoint subscription managers route by them on some devices). */
  action?: string;
  to?: string;
}

/** Base64(SHA-1(nonce + created + password)), OASIS UsernameToken Profile 1.0 §3.1. */
function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** xs:dateTime in UTC with whole seconds, as devices print it. */
function xsDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class OnvifSoapClient {
  readonly #credentials: SoapCredentials | undefined;
  readonly #defaultTimeoutMs: number;
  /** Device clock minus ours, learnt from GetSystemDateAndTime. */
  #clockOffsetMs = 0;

  constructor(credentials: SoapCredentials | undefined, options: { timeoutMs?: number } = {}) {
    this.#credentials = credentials;
    this.#defaultTimeoutMs = options.timeoutMs ?? 5000;
  }

  get clockOffsetMs(): number {
    return this.#clockOffsetMs;
  }

  /** The device's time now, by our clock and the learnt offset. */
  deviceNow(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  /**
   * GetSystemDateAndTime (pre-auth, ONVIF Core §5.12.2) at `deviceUrl`; remembers the
   * offset so tokens carry the device's time. Also the cheapest "is it there" probe.
   */
  async syncClock(deviceUrl: string, options: SoapCallOptions = {}): Promise<number> {
    const sentAt = Date.now();
    const body = await this.call(deviceUrl, '<tds:GetSystemDateAndTime/>', { ...options, anonymous: true });
    const utc = child(body, 'SystemDateAndTime', 'UTCDateTime');
    const n = (path: string[]) => Number(textAt(utc, ...path));
    const deviceMs = Date.UTC(n(['Date', 'Year']), n(['Date', 'Month']) - 1, n(['Date', 'Day']), n(['Time', 'Hour']), n(['Time', 'Minute']), n(['Time', 'Second']));
    if (Number.isFinite(deviceMs)) {
      // Whole-second resolution: within a second of skew is no skew.
      const offset = deviceMs - (sentAt + Date.now()) / 2;
      this.#clockOffsetMs = Math.abs(offset) < 1000 ? 0 : offset;
    }
    return this.#clockOffsetMs;
  }

  /**
   * Posts `body` (markup using the envelope's prefixes) and returns the Body's
   * first element. Throws OnvifError for every failure, never anything else.
   */
  async call(url: string, body: string, options: SoapCallOptions & { anonymous?: boolean } = {}): Promise<XmlNode> {
    const headers: string[] = [];
    if (this.#credentials && !options.anonymous) headers.push(this.#security(this.#credentials));
    if (options.action) headers.push(`<wsa:Action>${escapeXml(options.action)}</wsa:Action>`);
    if (options.to) headers.push(`<wsa:To>${escapeXml(options.to)}</wsa:To>`);
    const ns = Object.entries(namespaces)
      .map(([p, uri]) => `xmlns:${p}="${uri}"`)
      .join(' ');
    const envelope = `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope ${ns}>${headers.length ? `<s:Header>${headers.join('')}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];

    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
        body: envelope,
        signal: AbortSignal.any(signals),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (options.signal?.aborted) throw new OnvifError('aborted', 'the call was cancelled');
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new OnvifError('timeout', `no answer within ${timeoutMs} ms`);
      throw new OnvifError('unreachable', `cannot reach ${new URL(url).host}: ${networkCause(e)}`);
    }

    let responseBody: XmlNode | undefined;
    try {
      responseBody = child(parseXml(text), 'Body')?.children[0];
    } catch (err) {
      if (status === 401) throw new OnvifError('unauthorized', 'HTTP 401: wrong user or password', [], status);
      const reason = (err instanceof XmlParseError ? err.message : String(err)).replace(/\s+/g, ' ');
      throw new OnvifError('malformed', `malformed SOAP answer (HTTP ${status}, ${text.length} bytes, not well-formed XML): ${reason}`, [], status);
    }
    if (responseBody?.name === 'Fault') {
      const subcodes: string[] = [];
      let sub = child(responseBody, 'Code', 'Subcode');
      while (sub) {
        subcodes.push(textAt(sub, 'Value') ?? '');
        sub = child(sub, 'Subcode');
      }
      const reason = textAt(responseBody, 'Reason', 'Text') ?? textAt(responseBody, 'Code', 'Value') ?? 'no reason given';
      const kind = status === 401 || subcodes.some((s) => /NotAuthorized/i.test(s)) ? 'unauthorized' : 'fault';
      throw new OnvifError(kind, `${reason}${subcodes.length ? ` (${subcodes.join(' / ')})` : ''}`, subcodes, status);
    }
    if (status === 401) throw new OnvifError('unauthorized', 'HTTP 401: wrong user or password', [], status);
    if (status !== 200) throw new OnvifError('malformed', `HTTP ${status} without a SOAP fault`, [], status);
    if (!responseBody) throw new OnvifError('malformed', 'SOAP answer without a Body element', [], status);
    return responseBody;
  }

  #security({ username, password }: SoapCredentials): string {
    const nonce = randomBytes(16);
    const created = xsDateTime(this.deviceNow());
    return (
      `<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken>` +
      `<wsse:Username>${escapeXml(username)}</wsse:Username>` +
      `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${passwordDigest(nonce, created, password)}</wsse:Password>` +
      `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>` +
      `<wsu:Created>${created}</wsu:Created>` +
      `</wsse:UsernameToken></wsse:Security>`
    );
  }
}

/** What a failed fetch says about the network: the socket's message, with its code. */
export function networkCause(err: Error & { cause?: { code?: string; message?: string } }): string {
  const { code, message } = err.cause ?? {};
  if (message) return code && !message.includes(code) ? `${message} (${code})` : message;
  return code ?? err.message;
}

/** A sentence for logs and events saying what went wrong, by cause. */
export function describeOnvifError(err: unknown): string {
  if (!(err instanceof OnvifError)) return (err as Error)?.message ?? String(err);
  switch (err.kind) {
    case 'unauthorized':
      return `wrong user or password (NotAuthorized): ${err.message}`;
    case 'unreachable':
      return `unreachable: ${err.message}`;
    case 'timeout':
      return `not answering: ${err.message}`;
    case 'malformed':
      return err.message;
    case 'fault':
      return `SOAP fault: ${err.message}`;
    case 'aborted':
      return 'cancelled';
  }
}

/** The XAddr of a service from GetServices, by namespace URI. */
export function serviceXAddr(getServicesResponse: XmlNode, namespace: string): string | undefined {
  for (const service of getServicesResponse.children) {
    if (service.name === 'Service' && textAt(service, 'Namespace') === namespace) return textAt(service, 'XAddr');
  }
  return undefined;
}
