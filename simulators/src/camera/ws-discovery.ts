/**
 * WS-Discovery target service (WS-Discovery 2005/04, as ONVIF Core §7 uses it):
 * answers Probe messages with a ProbeMatch carrying the device's XAddrs.
 * On port 3702 it joins the 239.255.255.250 multicast group like a real
 * device; on any other port (0 for an ephemeral one) it answers unicast
 * probes only, so several simulators and parallel tests never collide.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { ns } from './onvif-namespaces.js';
import type { SimLogger } from './sim-logger.js';
import { child, localPart, readXml } from './xml-reader.js';
import { el, leaf } from './xml-writer.js';

export const wsDiscoveryMulticastAddress = '239.255.255.250';
export const wsDiscoveryPort = 3702;

export interface WsDiscoveryOptions {
  /** 3702 joins the multicast group; other values answer unicast probes only (0 = ephemeral). */
  port: number;
  host?: string;
  /** The endpoint reference, stable for a device (`urn:uuid:...`). */
  endpoint: string;
  /** Types as QNames in namespaces we declare: `dn:NetworkVideoTransmitter`, `tds:Device`. */
  types: readonly string[];
  scopes: () => readonly string[];
  xaddrs: () => readonly string[];
  /** When false (device offline), probes go unanswered. */
  answering?: () => boolean;
  logger: SimLogger;
}

const probeAction = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe';
const probeMatchesAction = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches';
const anonymous = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

/** RFC 3986 scope matching (WS-Discovery §5.1 default rule): each probe scope must prefix-match, by path segment, one of ours. */
function scopeMatches(wanted: string, ours: readonly string[]): boolean {
  const w = wanted.replace(/\/+$/, '');
  return ours.some((s) => s === w || s.startsWith(`${w}/`));
}

export class WsDiscoveryResponder {
  readonly #opts: WsDiscoveryOptions;
  #socket: Socket | undefined;
  #messageNumber = 0;
  readonly #instanceId = Math.floor(Date.now() / 1000);

  constructor(options: WsDiscoveryOptions) {
    this.#opts = options;
  }

  async start(): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (err) => this.#opts.logger('warn', 'WS-Discovery socket error', { error: String(err) }));
    const multicast = this.#opts.port === wsDiscoveryPort;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.#opts.port, multicast ? undefined : (this.#opts.host ?? '127.0.0.1'), () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (multicast) {
      try {
        socket.addMembership(wsDiscoveryMulticastAddress);
      } catch (err) {
        this.#opts.logger('warn', 'could not join the WS-Discovery multicast group; answering unicast probes only', { error: String(err) });
      }
    }
    return socket.address().port;
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#opts.answering && !this.#opts.answering()) return;
    let probeId: string | undefined;
    try {
      const envelope = readXml(msg.toString('utf8'));
      const header = child(envelope, 'Header', ns.s);
      const probe = child(child(envelope, 'Body', ns.s), 'Probe', ns.wsd);
      const action = child(header, 'Action')?.text;
      if (!probe || (action !== undefined && action !== probeAction)) return;
      probeId = child(header, 'MessageID')?.text;
      const wantedTypes = (child(probe, 'Types')?.text ?? '').split(/\s+/).filter(Boolean).map(localPart);
      const ourTypes = this.#opts.types.map(localPart);
      if (!wantedTypes.every((t) => ourTypes.includes(t))) return;
      const wantedScopes = (child(probe, 'Scopes')?.text ?? '').split(/\s+/).filter(Boolean);
      const scopes = this.#opts.scopes();
      if (!wantedScopes.every((s) => scopeMatches(s, scopes))) return;
    } catch {
      // Not XML, or not a probe: WS-Discovery says to ignore what we do not understand.
      return;
    }
    const reply = this.#probeMatches(probeId);
    this.#socket?.send(reply, rinfo.port, rinfo.address, (err) => {
      if (err) this.#opts.logger('warn', 'WS-Discovery reply failed', { error: String(err) });
    });
  }

  #probeMatches(relatesTo: string | undefined): string {
    this.#messageNumber += 1;
    const envelope = el(
      's:Envelope',
      { 'xmlns:s': ns.s, 'xmlns:a': ns.wsadis, 'xmlns:d': ns.wsd, 'xmlns:dn': ns.dn, 'xmlns:tds': ns.tds },
      leaf(
        's:Header',
        leaf('a:MessageID', `urn:uuid:${randomUUID()}`),
        relatesTo ? leaf('a:RelatesTo', relatesTo) : null,
        leaf('a:To', anonymous),
        leaf('a:Action', probeMatchesAction),
        el('d:AppSequence', { InstanceId: this.#instanceId, MessageNumber: this.#messageNumber }),
      ),
      leaf(
        's:Body',
        leaf(
          'd:ProbeMatches',
          leaf(
            'd:ProbeMatch',
            leaf('a:EndpointReference', leaf('a:Address', this.#opts.endpoint)),
            leaf('d:Types', this.#opts.types.join(' ')),
            leaf('d:Scopes', this.#opts.scopes().join(' ')),
            leaf('d:XAddrs', this.#opts.xaddrs().join(' ')),
            leaf('d:MetadataVersion', 1),
          ),
        ),
      ),
    );
    return `<?xml version="1.0" encoding="UTF-8"?>\n${envelope.markup}`;
  }
}

/** A Probe message as ONVIF clients send it (for tests and tools). */
export function probeMessage(types = 'dn:NetworkVideoTransmitter', messageId = `uuid:${randomUUID()}`): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${
    el(
      's:Envelope',
      { 'xmlns:s': ns.s, 'xmlns:a': ns.wsadis, 'xmlns:d': ns.wsd, 'xmlns:dn': ns.dn, 'xmlns:tds': ns.tds },
      leaf('s:Header', leaf('a:MessageID', messageId), leaf('a:To', 'urn:schemas-xmlsoap-org:ws:2005:04:discovery'), leaf('a:Action', probeAction)),
      leaf('s:Body', leaf('d:Probe', types ? leaf('d:Types', types) : null)),
    ).markup
  }`;
}
