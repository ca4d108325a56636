/** The SOAP building blocks: XML in and out, WS-Security, HTTP Digest, durations, topic filters. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, digestAuthorization, parseDigestParams } from './http-digest.js';
import { ns } from './onvif-namespaces.js';
import { topicFilter } from './pull-point.js';
import { securityHeader } from './onvif-soap-client.js';
import { soapEnvelope } from './soap-envelope.js';
import { UsernameTokenVerifier } from './ws-security.js';
import { child, readXml, XmlReadError } from './xml-reader.js';
import { el, leaf, type XmlChild } from './xml-writer.js';
import { parseTerminationTime, parseXsDuration } from './xs-duration.js';

describe('XML writer and reader', () => {
  it('escapes text and attributes so hostile names round-trip intact', () => {
    const name = `Lobby <A&B> "quoted" 'single'\ttab`;
    const xml = soapEnvelope(el('tds:Name', { label: name }, name, '\u0001'));
    const body = child(readXml(xml), 'Body', ns.s);
    const nameEl = child(body, 'Name', ns.tds)!;
    expect(nameEl.text).toBe(`${name}\uFFFD`);
    expect(nameEl.attrs['label']).toBe(name);
  });

  it('refuses element names that are not XML names', () => {
    expect(() => leaf('bad name')).toThrow(/not an XML element name/);
  });

  it('resolves namespaces by URI whatever the prefix', () => {
    const root = readXml('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/></e:Body></e:Envelope>');
    const op = child(root, 'Body', ns.s)!.children[0];
    expect([op.ns, op.name]).toEqual([ns.trt, 'GetProfiles']);
  });

  it('rejects malformed XML, undeclared prefixes and DTDs', () => {
    expect(() => readXml('<a><b></a>')).toThrow(XmlReadError);
    expect(() => readXml('<x:a/>')).toThrow(/undeclared namespace prefix/);
    expect(() => readXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toThrow(/document type/);
  });
});

describe('WS-Security UsernameToken', () => {
  const header = (xml: XmlChild) => child(readXml(soapEnvelope(null, xml)), 'Header', ns.s);

  it('accepts a correct PasswordDigest and refuses a wrong password', () => {
    const verifier = new UsernameTokenVerifier([{ username: 'admin', password: 'secret' }]);
    expect(verifier.verify(header(securityHeader('admin', 'secret')))).toEqual({ ok: true, username: 'admin' });
    expect(verifier.verify(header(securityHeader('admin', 'wrong')))).toEqual({ ok: false, reason: 'bad username or password' });
    expect(verifier.verify(header(securityHeader('root', 'secret')))).toEqual({ ok: false, reason: 'bad username or password' });
    expect(verifier.verify(undefined)).toEqual({ ok: false, reason: 'no WS-Security UsernameToken' });
  });

  it('computes the digest as Base64(SHA1(nonce + created + password))', () => {
    const nonce = randomBytes(16);
    const created = '2024-01-01T00:00:00.000Z';
    const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from('secret')])).digest('base64');
    const xml = `<wsse:Security xmlns:wsse="${ns.wsse}" xmlns:wsu="${ns.wsu}"><wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password Type="...#PasswordDigest">${digest}</wsse:Password><wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
    const verifier = new UsernameTokenVerifier([{ username: 'admin', password: 'secret' }], { now: () => Date.parse(created) + 1000 });
    const h = child(readXml(`<s:Envelope xmlns:s="${ns.s}"><s:Header>${xml}</s:Header><s:Body/></s:Envelope>`), 'Header', ns.s);
    expect(verifier.verify(h)).toEqual({ ok: true, username: 'admin' });
    // The same token again is a replay.
    expect(verifier.verify(h)).toEqual({ ok: false, reason: 'nonce replayed' });
  });

  it('refuses a Created outside the clock-skew window', () => {
    const verifier = new UsernameTokenVerifier([{ username: 'admin', password: 'secret' }], { now: () => Date.now() + 10 * 60_000 });
    expect(verifier.verify(header(securityHeader('admin', 'secret')))).toEqual({ ok: false, reason: 'Created is outside the accepted clock skew' });
  });
});

describe('HTTP Digest', () => {
  it('verifies qop=auth and RFC 2069 responses, and refuses wrong ones', () => {
    for (const qop of [true, false]) {
      const auth = new DigestAuthenticator({ realm: 'cam', username: 'admin', password: 'secret', qop });
      const good = digestAuthorization(auth.challenge(), { method: 'GET', uri: '/snap.jpg', username: 'admin', password: 'secret' });
      expect(auth.verify('GET', good)).toBe('ok');
      expect(auth.verify('POST', good)).toBe('invalid');
      expect(auth.verify('GET', digestAuthorization(auth.challenge(), { method: 'GET', uri: '/snap.jpg', username: 'admin', password: 'x' }))).toBe('invalid');
      expect(auth.verify('GET', undefined)).toBe('missing');
      expect(auth.verify('GET', 'Basic YWRtaW46c2VjcmV0')).toBe('missing');
    }
  });

  it('writes a challenge the naive comma/equals splitting of node-onvif reads', () => {
    const challenge = new DigestAuthenticator({ realm: 'Warden camera x', username: 'a', password: 'b', qop: true }).challenge();
    const naive = Object.fromEntries(challenge.split(/,\s*/).map((s) => s.split('=')));
    expect(naive['Digest realm']).toBe('"Warden camera x"');
    expect(naive['qop']).toBe('"auth"');
    expect(naive['nonce']).toMatch(/^"[0-9a-f]+"$/);
    expect(parseDigestParams(challenge).get('algorithm')).toBe('MD5');
  });

  it('answers stale when a correct response uses an expired nonce', () => {
    let now = 1_000_000;
    const auth = new DigestAuthenticator({ realm: 'cam', username: 'admin', password: 'secret', qop: false, nonceTtlMs: 1000, now: () => now });
    const header = digestAuthorization(auth.challenge(), { method: 'DESCRIBE', uri: 'rtsp://h/x', username: 'admin', password: 'secret' });
    now += 5000;
    expect(auth.verify('DESCRIBE', header)).toBe('stale');
  });
});

describe('xs:duration and termination times', () => {
  it('reads the durations ONVIF clients send', () => {
    expect(parseXsDuration('PT60S')).toBe(60_000);
    expect(parseXsDuration('PT1M')).toBe(60_000);
    expect(parseXsDuration('PT0.5S')).toBe(500);
    expect(parseXsDuration('P1DT2H')).toBe(26 * 3_600_000);
    expect(parseXsDuration('P1Y')).toBeUndefined();
    expect(parseXsDuration('PT')).toBeUndefined();
    expect(parseTerminationTime('PT10S', 1000)).toBe(11_000);
    expect(parseTerminationTime('2030-01-01T00:00:00Z', 0)).toBe(Date.parse('2030-01-01T00:00:00Z'));
  });
});

describe('topic filters', () => {
  it('matches concrete topics and subtrees, ignoring prefixes', () => {
    const f = topicFilter('tns1:RuleEngine/CellMotionDetector/Motion|tns1:Door//.');
    expect(f('tns1:RuleEngine/CellMotionDetector/Motion')).toBe(true);
    expect(f('tns1:Door/State/DoorAlarm')).toBe(true);
    expect(f('tns1:VideoSource/GlobalSceneChange/ImagingService')).toBe(false);
    expect(topicFilter(undefined)('anything')).toBe(true);
  });
});
