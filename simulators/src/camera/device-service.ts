/**
 * ONVIF device management service (ver10/device/wsdl), the part every ONVIF
 * device shares: clock, identity, capabilities/services, scopes. Only
 * GetSystemDateAndTime is pre-auth: clients need the device clock to build
 * the WS-Security digest (ONVIF Core §5.12.2 "pre-authentication" access class).
 */
import { ns } from './onvif-namespaces.js';
import type { OnvifHttpServer } from './onvif-http-server.js';
import { el, leaf, type XmlChild } from './xml-writer.js';

export interface DeviceIdentity {
  readonly manufacturer: string;
  readonly model: string;
  readonly firmwareVersion: string;
  readonly serialNumber: string;
  readonly hardwareId: string;
}

export interface ServiceEntry {
  readonly namespace: string;
  readonly xaddr: string;
  readonly version: readonly [major: number, minor: number];
  /** The service's own capabilities element, returned when IncludeCapability is true. */
  readonly capabilities?: XmlChild;
}

export interface DeviceServiceOptions {
  identity: DeviceIdentity;
  hostname: string;
  services: () => readonly ServiceEntry[];
  /** The tt:Capabilities children for the legacy GetCapabilities (Device, Events, Media, PTZ...). */
  capabilities: () => XmlChild;
  scopes: () => readonly string[];
  now?: () => number;
}

function dateTime(tag: string, d: Date): XmlChild {
  return leaf(
    tag,
    leaf('tt:Time', leaf('tt:Hour', d.getUTCHours()), leaf('tt:Minute', d.getUTCMinutes()), leaf('tt:Second', d.getUTCSeconds())),
    leaf('tt:Date', leaf('tt:Year', d.getUTCFullYear()), leaf('tt:Month', d.getUTCMonth() + 1), leaf('tt:Day', d.getUTCDate())),
  );
}

/** The tt:Device capabilities block of GetCapabilities. */
export function deviceCapabilities(xaddr: string): XmlChild {
  return leaf(
    'tt:Device',
    leaf('tt:XAddr', xaddr),
    leaf('tt:Network', leaf('tt:IPFilter', false), leaf('tt:ZeroConfiguration', false), leaf('tt:IPVersion6', false), leaf('tt:DynDNS', false)),
    leaf(
      'tt:System',
      leaf('tt:DiscoveryResolve', false),
      leaf('tt:DiscoveryBye', false),
      leaf('tt:RemoteDiscovery', false),
      leaf('tt:SystemBackup', false),
      leaf('tt:SystemLogging', false),
      leaf('tt:FirmwareUpgrade', false),
      leaf('tt:SupportedVersions', leaf('tt:Major', 2), leaf('tt:Minor', 60)),
    ),
    leaf('tt:Security', leaf('tt:TLS1.1', false), leaf('tt:TLS1.2', false), leaf('tt:OnboardKeyGeneration', false), leaf('tt:AccessPolicyConfig', false), leaf('tt:X.509Token', false), leaf('tt:SAMLToken', false), leaf('tt:KerberosToken', false), leaf('tt:RELToken', false)),
  );
}

export function eventCapabilities(xaddr: string): XmlChild {
  return leaf(
    'tt:Events',
    leaf('tt:XAddr', xaddr),
    leaf('tt:WSSubscriptionPolicySupport', false),
    leaf('tt:WSPullPointSupport', true),
    leaf('tt:WSPausableSubscriptionManagerInterfaceSupport', false),
  );
}

/**
 * The WS-Discovery / GetScopes scopes of a device: what it is (`kinds`, e.g. its
 * profile), then its name, hardware model and, if set, location.
 */
export function onvifScopes(kinds: readonly string[], device: { name: string; model: string; location?: string }): string[] {
  const scopes = [
    ...kinds.map((k) => `onvif://www.onvif.org/${k}`),
    `onvif://www.onvif.org/name/${encodeURIComponent(device.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(device.model)}`,
  ];
  if (device.location) scopes.push(`onvif://www.onvif.org/location/${encodeURIComponent(device.location)}`);
  return scopes;
}

export function registerDeviceService(server: OnvifHttpServer, opts: DeviceServiceOptions): void {
  const now = opts.now ?? Date.now;
  server
    .operation(
      ns.tds,
      'GetSystemDateAndTime',
      () => {
        const d = new Date(now());
        return leaf(
          'tds:GetSystemDateAndTimeResponse',
          leaf(
            'tds:SystemDateAndTime',
            leaf('tt:DateTimeType', 'NTP'),
            leaf('tt:DaylightSavings', false),
            leaf('tt:TimeZone', leaf('tt:TZ', 'UTC0')),
            dateTime('tt:UTCDateTime', d),
            dateTime('tt:LocalDateTime', d),
          ),
        );
      },
      { preAuth: true },
    )
    .operation(ns.tds, 'GetDeviceInformation', () =>
      leaf(
        'tds:GetDeviceInformationResponse',
        leaf('tds:Manufacturer', opts.identity.manufacturer),
        leaf('tds:Model', opts.identity.model),
        leaf('tds:FirmwareVersion', opts.identity.firmwareVersion),
        leaf('tds:SerialNumber', opts.identity.serialNumber),
        leaf('tds:HardwareId', opts.identity.hardwareId),
      ),
    )
    .operation(ns.tds, 'GetCapabilities', () => leaf('tds:GetCapabilitiesResponse', leaf('tds:Capabilities', opts.capabilities())))
    .operation(ns.tds, 'GetServices', (call) => {
      const include = call.operation.children.find((c) => c.name === 'IncludeCapability')?.text === 'true';
      return leaf(
        'tds:GetServicesResponse',
        opts.services().map((s) =>
          leaf(
            'tds:Service',
            leaf('tds:Namespace', s.namespace),
            leaf('tds:XAddr', s.xaddr),
            include && s.capabilities !== undefined ? leaf('tds:Capabilities', s.capabilities) : null,
            leaf('tds:Version', leaf('tt:Major', s.version[0]), leaf('tt:Minor', s.version[1])),
          ),
        ),
      );
    })
    .operation(ns.tds, 'GetServiceCapabilities', () =>
      leaf(
        'tds:GetServiceCapabilitiesResponse',
        leaf(
          'tds:Capabilities',
          el('tds:Network', { IPFilter: false, ZeroConfiguration: false, IPVersion6: false, DynDNS: false, NTP: 0 }),
          el('tds:Security', { 'TLS1.0': false, 'TLS1.1': false, 'TLS1.2': false, UsernameToken: true, HttpDigest: false }),
          el('tds:System', { DiscoveryResolve: false, DiscoveryBye: false, RemoteDiscovery: false, SystemBackup: false, SystemLogging: false, FirmwareUpgrade: false }),
        ),
      ),
    )
    .operation(ns.tds, 'GetScopes', () =>
      leaf(
        'tds:GetScopesResponse',
        opts.scopes().map((s) => leaf('tds:Scopes', leaf('tt:ScopeDef', 'Fixed'), leaf('tt:ScopeItem', s))),
      ),
    )
    .operation(ns.tds, 'GetHostname', () =>
      leaf('tds:GetHostnameResponse', leaf('tds:HostnameInformation', leaf('tt:FromDHCP', false), leaf('tt:Name', opts.hostname))),
    );
}
