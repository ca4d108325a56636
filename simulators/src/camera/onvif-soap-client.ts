/**
 * A minimal ONVIF SOAP client (WS-Security UsernameToken digest), for the
 * simulators' tests and for integrators poking a simulated device — including
 * the PullPoint and Door Control calls node-onvif does not have. Not a
 * replacement for a full client library.
 */
import { randomBytes } from 'node:crypto';
import { ns } from './onvif-namespaces.js';
import { soapEnvelope } from './soap-envelope.js';
import { child, readXml, textAt, type XmlElement } from './xml-reader.js';
import { el, leaf, xsDateTime, XmlMarkup, type XmlChild } from './xml-writer.js';
import { passwordDigest } from './ws-security.js';

export interface SoapResponse {
  readonly status: number;
  readonly xml: string;
  /** The Body's first element (the response, or s:Fault). */
  readonly body: XmlElement | undefined;
  /** Subcode values of a fault, outermost first (e.g. ['ter:NotAuthorized']). */
  readonly faultSubcodes: readonly string[];
}

export function securityHeader(username: string, password: string, now = new Date()): XmlChild {
  const nonce = randomBytes(16);
  const created = xsDateTime(now);
  return el(
    'wsse:Security',
    { 'xmlns:wsse': ns.wsse, 'xmlns:wsu': ns.wsu, 's:mustUnderstand': 1 },
    leaf(
      'wsse:UsernameToken',
      leaf('wsse:Username', username),
      el('wsse:Password', { Type: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest' }, passwordDigest(nonce, created, password)),
      el('wsse:Nonce', { EncodingType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary' }, nonce.toString('base64')),
      leaf('wsu:Created', created),
    ),
  );
}

export class OnvifSoapClient {
  constructor(readonly credentials: { username: string; password: string } | undefined) {}

  /** Posts `body` (markup in any of the envelope's prefixes: tds, trt, tev, tdc...) to `url`. */
  async call(url: string, body: XmlMarkup | string, options: { timeoutMs?: number; header?: XmlChild } = {}): Promise<SoapResponse> {
    const security = this.credentials ? securityHeader(this.credentials.username, this.credentials.password) : null;
    const envelope = soapEnvelope(typeof body === 'string' ? new XmlMarkup(body) : body, [security, options.header ?? null]);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
      body: envelope,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const xml = await res.text();
    let responseBody: XmlElement | undefined;
    try {
      responseBody = child(readXml(xml), 'Body', ns.s)?.children[0];
    } catch {
      responseBody = undefined;
    }
    const subcodes: string[] = [];
    let sub = child(child(responseBody?.name === 'Fault' ? responseBody : undefined, 'Code'), 'Subcode');
    while (sub) {
      subcodes.push(textAt(sub, 'Value') ?? '');
      sub = child(sub, 'Subcode');
    }
    return { status: res.status, xml, body: responseBody, faultSubcodes: subcodes };
  }
}
