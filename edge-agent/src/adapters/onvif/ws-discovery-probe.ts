/**
 * Finding ONVIF devices on the network: WS-Discovery (2005/04, as ONVIF Core §7
 * uses it). A Probe goes out over UDP — to the 239.255.255.250:3702 multicast
 * group, as devices listen, or unicast to given addresses (a device or
 * simulator on its own port, a routed subnet multicast does not reach) — and the
 * ProbeMatches that answer it within the timeout are collected: each device's
 * endpoint, XAddrs (its device service URLs) and scopes (name, hardware,
 * location, profiles).
 *
 * Two Probes are sent, one per type: `dn:NetworkVideoTransmitter` (cameras;
 * many answer only that) and `tds:Device` (every ONVIF device, door controllers
 * included). SOAP-over-UDP is lossy, so each is sent twice (SOAP-over-UDP 1.1
 * §3.4 repeats); answers are matched to our MessageIDs and merged per endpoint.
 *
 * node-onvif's startProbe is not used: it sends to the multicast group only, on
 * a fixed port, and asks for NetworkVideoTransmitter alone (no door controllers).
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { childrenNamed, escapeXml, parseXml, textAt, type XmlNode } from './soap-xml.js';

export const WS_DISCOVERY_MULTICAST = { host: '239.255.255.250', port: 3702 } as const;

const ns = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  d: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
};
const probeAction = `${ns.d}/Probe`;
const probeMatchesAction = `${ns.d}/ProbeMatches`;
const REPEAT_AFTER_MS = 200;

export interface DiscoveryTarget {
  host: string;
  port: number;
}

export interface DiscoveredDevice {
  /** The device's stable endpoint reference (`urn:uuid:...`). */
  endpoint: string;
  /** `camera` (a NetworkVideoTransmitter), `door` (an access controller, Profile C), or `device`. */
  kind: 'camera' | 'door' | 'device';
  /** The first http(s) XAddr: what an agent config's `xaddr` takes. */
  xaddr: string | undefined;
  xaddrs: string[];
  /** Types by local name: `NetworkVideoTransmitter`, `Device`. */
  types: string[];
  scopes: string[];
  /** From the `onvif://www.onvif.org/name/...` scope, decoded. */
  name?: string;
  hardware?: string;
  location?: string;
  /** Where the answer came from. */
  from: string;
}

export interface ProbeOptions {
  /** Where to send the Probes; the multicast group when absent. */
  targets?: readonly DiscoveryTarget[];
  /** How long to collect answers after the first Probe. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `host:port`, an IPv4 address or a name; the port defaults to 3702. */
export function parseDiscoveryTarget(text: string): DiscoveryTarget {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? WS_DISCOVERY_MULTICAST.port : Number(m[2]);
  if (!m || port < 1 || port > 65_535) throw new Error(`"${text}" is not host[:port] (for example 192.168.1.64:3702)`);
  if (isIP(m[1]) === 6) throw new Error(`"${text}": IPv6 is not supported by this probe; give an IPv4 address or a name`);
  return { host: m[1], port };
}

/** A Probe for one type, as ONVIF clients send it. */
export function probeMessage(type: 'dn:NetworkVideoTransmitter' | 'tds:Device', messageId: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<s:Envelope xmlns:s="${ns.s}" xmlns:a="${ns.a}" xmlns:d="${ns.d}" xmlns:dn="${ns.dn}" xmlns:tds="${ns.tds}">`,
    '<s:Header>',
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>`,
    '<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>',
    `<a:Action>${probeAction}</a:Action>`,
    '</s:Header>',
    `<s:Body><d:Probe><d:Types>${type}</d:Types></d:Probe></s:Body>`,
    '</s:Envelope>',
  ].join('');
}

const localName = (qname: string): string => qname.slice(qname.lastIndexOf(':') + 1);
const words = (text: string | undefined): string[] => (text ?? '').split(/\s+/).filter(Boolean);

function scopeValue(scopes: readonly string[], key: string): string | undefined {
  const prefix = `onvif://www.onvif.org/${key}/`;
  const scope = scopes.find((s) => s.startsWith(prefix));
  if (!scope) return undefined;
  try {
    return decodeURIComponent(scope.slice(prefix.length));
  } catch {
    return scope.slice(prefix.length);
  }
}

/** The ProbeMatch elements of one answer, if it answers one of `messageIds`. */
export function parseProbeMatches(xml: string, messageIds: ReadonlySet<string>, from: string): DiscoveredDevice[] {
  let envelope: XmlNode;
  try {
    envelope = parseXml(xml);
  } catch {
    return []; // not ours to understand: WS-Discovery says to ignore it
  }
  const header = childrenNamed(envelope, 'Header')[0];
  const action = textAt(header, 'Action');
  const relatesTo = textAt(header, 'RelatesTo');
  if (action !== undefined && action !== probeMatchesAction) return [];
  if (relatesTo === undefined || !messageIds.has(relatesTo)) return [];
  const matches = childrenNamed(childrenNamed(childrenNamed(envelope, 'Body')[0], 'ProbeMatches')[0], 'ProbeMatch');
  return matches.flatMap((m) => {
    const endpoint = textAt(m, 'EndpointReference', 'Address');
    const xaddrs = words(textAt(m, 'XAddrs'));
    if (!endpoint && xaddrs.length === 0) return [];
    const types = words(textAt(m, 'Types')).map(localName);
    const scopes = words(textAt(m, 'Scopes'));
    return [device({ endpoint: endpoint ?? xaddrs[0], xaddrs, types, scopes, from })];
  });
}

function device(d: { endpoint: string; xaddrs: string[]; types: string[]; scopes: string[]; from: string }): DiscoveredDevice {
  const kind = d.types.includes('NetworkVideoTransmitter')
    ? 'camera'
    : d.scopes.some((s) => /^onvif:\/\/www\.onvif\.org\/Profile\/C$/i.test(s)) || d.types.includes('DoorController')
      ? 'door'
      : 'device';
  const name = scopeValue(d.scopes, 'name');
  const hardware = scopeValue(d.scopes, 'hardware');
  const location = scopeValue(d.scopes, 'location');
  return {
    endpoint: d.endpoint,
    kind,
    xaddr: d.xaddrs.find((x) => /^https?:\/\//i.test(x)),
    xaddrs: d.xaddrs,
    types: d.types,
    scopes: d.scopes,
    ...(name !== undefined ? { name } : {}),
    ...(hardware !== undefined ? { hardware } : {}),
    ...(location !== undefined ? { location } : {}),
    from: d.from,
  };
}

/** Merges what two answers from one endpoint said (one per Probe type). */
function merge(a: DiscoveredDevice, b: DiscoveredDevice): DiscoveredDevice {
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])];
  return device({ endpoint: a.endpoint, xaddrs: union(a.xaddrs, b.xaddrs), types: union(a.types, b.types), scopes: union(a.scopes, b.scopes), from: a.from });
}

/**
 * Sends the Probes and resolves, after `timeoutMs`, with every device that
 * answered (one entry per endpoint, in order of first answer). Rejects only when
 * no Probe could be sent at all (no route to the group, a name that does not
 * resolve), with the cause.
 */
export async function probeOnvifDevices(options: ProbeOptions = {}): Promise<DiscoveredDevice[]> {
  const targets = options.targets?.length ? options.targets : [WS_DISCOVERY_MULTICAST];
  const timeoutMs = options.timeoutMs ?? 3000;
  const found = new Map<string, DiscoveredDevice>();
  const messages = (['dn:NetworkVideoTransmitter', 'tds:Device'] as const).map((type) => ({ id: `urn:uuid:${randomUUID()}`, type }));
  const ids = new Set(messages.map((m) => m.id));
  const socket: Socket = createSocket({ type: 'udp4' });
  socket.on('message', (msg, rinfo) => {
    for (const d of parseProbeMatches(msg.toString('utf8'), ids, `${rinfo.address}:${rinfo.port}`)) {
      const known = found.get(d.endpoint);
      found.set(d.endpoint, known ? merge(known, d) : d);
    }
  });
  const errors: string[] = [];
  socket.on('error', (err) => errors.push(err.message));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const sendAll = async (): Promise<number> => {
      let sent = 0;
      for (const target of targets) {
        for (const m of messages) {
          const payload = Buffer.from(probeMessage(m.type, m.id), 'utf8');
          try {
            await new Promise<void>((resolve, reject) => socket.send(payload, target.port, target.host, (err) => (err ? reject(err) : resolve())));
            sent += 1;
          } catch (err) {
            errors.push(`${target.host}:${target.port}: ${(err as Error).message}`);
          }
        }
      }
      return sent;
    };
    if ((await sendAll()) === 0) throw new Error(`could not send a WS-Discovery Probe: ${[...new Set(errors)].join('; ')}`);
    await wait(Math.min(REPEAT_AFTER_MS, timeoutMs), options.signal);
    if (!options.signal?.aborted) await sendAll();
    await wait(Math.max(0, timeoutMs - REPEAT_AFTER_MS), options.signal);
    return [...found.values()];
  } finally {
    socket.close();
  }
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
