/**
 * ONVIF Door Control (ver10/doorcontrol, Profile C) and the Access Control
 * access-point listing, over the doors of one simulated panel, plus the
 * mapping of door happenings to ONVIF event topics (ONVIF Door Control spec
 * §6 "Door events", Access Control spec §"Access events").
 */
import { ns } from '../camera/onvif-namespaces.js';
import type { OnvifHttpServer, SoapCall } from '../camera/onvif-http-server.js';
import type { OnvifEvent, TopicDescription } from '../camera/pull-point.js';
import { onvifFaults } from '../camera/soap-envelope.js';
import { children, textAt } from '../camera/xml-reader.js';
import { el, leaf, type XmlChild } from '../camera/xml-writer.js';
import { parseXsDuration } from '../camera/xs-duration.js';
import type { DoorEvent, DoorState, SimulatedDoor } from './simulated-door.js';

export const accessPointOf = (doorToken: string): string => `AP_${doorToken}`;

/** Event topics of a door panel, for GetEventProperties. */
export const doorTopics: readonly TopicDescription[] = [
  ...(
    [
      ['DoorMode', 'tdc:DoorMode'],
      ['DoorPhysicalState', 'tdc:DoorPhysicalState'],
      ['LockPhysicalState', 'tdc:LockPhysicalState'],
      ['DoorAlarm', 'tdc:DoorAlarmState'],
      ['DoorTamper', 'tdc:DoorTamperState'],
    ] as const
  ).map(([name, type]) => ({
    topic: `tns1:Door/State/${name}`,
    isProperty: true,
    source: [['DoorToken', 'pt:ReferenceToken']] as const,
    data: [['State', type]] as const,
  })),
  {
    topic: 'tns1:AccessControl/AccessGranted/Credential',
    isProperty: false,
    source: [['AccessPointToken', 'pt:ReferenceToken']],
    data: [
      ['CredentialToken', 'pt:ReferenceToken'],
      ['CredentialHolderName', 'xs:string'],
    ],
  },
  {
    topic: 'tns1:AccessControl/Denied/Credential',
    isProperty: false,
    source: [['AccessPointToken', 'pt:ReferenceToken']],
    data: [
      ['CredentialToken', 'pt:ReferenceToken'],
      ['CredentialHolderName', 'xs:string'],
      ['Reason', 'xs:string'],
    ],
  },
  {
    topic: 'tns1:AccessControl/Denied/CredentialNotFound/Card',
    isProperty: false,
    source: [['AccessPointToken', 'pt:ReferenceToken']],
    data: [['Card', 'xs:string']],
  },
];

const stateTopic: Record<keyof DoorState, string> = {
  mode: 'tns1:Door/State/DoorMode',
  physical: 'tns1:Door/State/DoorPhysicalState',
  lock: 'tns1:Door/State/LockPhysicalState',
  alarm: 'tns1:Door/State/DoorAlarm',
  tamper: 'tns1:Door/State/DoorTamper',
};

function stateEvent(door: SimulatedDoor, field: keyof DoorState, state: DoorState, op: 'Initialized' | 'Changed'): OnvifEvent {
  return {
    topic: stateTopic[field],
    time: new Date(),
    propertyOperation: op,
    source: [{ name: 'DoorToken', value: door.token }],
    data: [{ name: 'State', value: state[field] }],
  };
}

/** The ONVIF event for a door happening. */
export function doorEventToOnvif(door: SimulatedDoor, event: DoorEvent): OnvifEvent {
  const source = [{ name: 'AccessPointToken', value: accessPointOf(door.token) }];
  const time = new Date();
  switch (event.kind) {
    case 'state':
      return stateEvent(door, event.field, event.state, 'Changed');
    case 'accessGranted':
      return {
        topic: 'tns1:AccessControl/AccessGranted/Credential',
        time,
        source,
        data: [
          { name: 'CredentialToken', value: event.cardholder.credential },
          { name: 'CredentialHolderName', value: event.cardholder.name },
        ],
      };
    case 'accessDenied':
      return {
        topic: 'tns1:AccessControl/Denied/Credential',
        time,
        source,
        data: [
          { name: 'CredentialToken', value: event.cardholder.credential },
          { name: 'CredentialHolderName', value: event.cardholder.name },
          { name: 'Reason', value: event.reason },
        ],
      };
    case 'cardNotFound':
      return { topic: 'tns1:AccessControl/Denied/CredentialNotFound/Card', time, source, data: [{ name: 'Card', value: event.card }] };
  }
}

/** Every door's current state as "Initialized" property events (what a new subscription gets first). */
export function initialDoorEvents(doors: readonly SimulatedDoor[]): OnvifEvent[] {
  return doors.flatMap((door) => (Object.keys(stateTopic) as (keyof DoorState)[]).map((f) => stateEvent(door, f, door.state, 'Initialized')));
}

function doorInfo(door: SimulatedDoor): XmlChild {
  return el(
    'tdc:DoorInfo',
    { token: door.token },
    leaf('tdc:Name', door.name),
    leaf('tdc:Description', `Simulated door ${door.name}`),
    el('tdc:Capabilities', {
      Access: true,
      AccessTimingOverride: true,
      Lock: true,
      Unlock: true,
      Block: false,
      DoubleLock: false,
      LockDown: false,
      LockOpen: false,
      DoorMonitor: true,
      LockMonitor: true,
      DoubleLockMonitor: false,
      Alarm: true,
      Tamper: true,
      Fault: false,
    }),
  );
}

/** Limit/StartReference paging shared by the Get…InfoList operations: StartReference is the index to resume from. */
function page<T>(call: SoapCall, items: readonly T[], maxLimit: number): { slice: readonly T[]; next: string | undefined } {
  const limitText = textAt(call.operation, 'Limit');
  const limit = limitText === undefined ? maxLimit : Math.min(maxLimit, Number(limitText));
  const startText = textAt(call.operation, 'StartReference');
  const start = startText === undefined ? 0 : Number(startText);
  if (!Number.isInteger(limit) || limit < 1) throw onvifFaults.invalidArgVal('ter:InvalidArgVal', `bad Limit ${limitText}`);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw onvifFaults.invalidArgVal('ter:InvalidStartReference', `bad StartReference ${startText}`);
  const slice = items.slice(start, start + limit);
  return { slice, next: start + limit < items.length ? String(start + limit) : undefined };
}

export interface DoorControlOptions {
  /** Called after a door command has been applied (for logging/audit in the simulator). */
  onCommand?: (command: string, door: SimulatedDoor, username: string | undefined) => void;
}

export function registerDoorControlService(server: OnvifHttpServer, doors: readonly SimulatedDoor[], options: DoorControlOptions = {}): void {
  const maxLimit = 100;
  const doorOf = (call: SoapCall): SimulatedDoor => {
    const token = textAt(call.operation, 'Token');
    const door = doors.find((d) => d.token === token);
    if (!door) throw onvifFaults.invalidArgVal('ter:NotFound', `no door "${token ?? ''}"`);
    return door;
  };
  const command = (name: string, apply: (door: SimulatedDoor, call: SoapCall) => void) => (call: SoapCall) => {
    const door = doorOf(call);
    apply(door, call);
    options.onCommand?.(name, door, call.username);
    return leaf(`tdc:${name}Response`);
  };
  const duration = (call: SoapCall, name: string): number | undefined => {
    const text = textAt(call.operation, name);
    if (text === undefined) return undefined;
    const ms = parseXsDuration(text);
    if (ms === undefined || ms <= 0) throw onvifFaults.invalidArgVal('ter:InvalidArgVal', `bad ${name} ${text}`);
    return ms;
  };

  server
    .operation(ns.tdc, 'GetServiceCapabilities', () =>
      leaf('tdc:GetServiceCapabilitiesResponse', el('tdc:Capabilities', { MaxLimit: maxLimit, MaxDoors: doors.length })),
    )
    .operation(ns.tdc, 'GetDoorInfoList', (call) => {
      const { slice, next } = page(call, doors, maxLimit);
      return leaf('tdc:GetDoorInfoListResponse', next === undefined ? null : leaf('tdc:NextStartReference', next), slice.map(doorInfo));
    })
    .operation(ns.tdc, 'GetDoorInfo', (call) => {
      // ONVIF: tokens that do not exist are skipped, not faulted.
      const tokens = children(call.operation, 'Token').map((t) => t.text);
      if (tokens.length > maxLimit) throw onvifFaults.invalidArgs(`at most ${maxLimit} tokens`);
      return leaf('tdc:GetDoorInfoResponse', doors.filter((d) => tokens.includes(d.token)).map(doorInfo));
    })
    .operation(ns.tdc, 'GetDoorState', (call) => {
      const s = doorOf(call).state;
      return leaf(
        'tdc:GetDoorStateResponse',
        leaf(
          'tdc:DoorState',
          leaf('tdc:DoorPhysicalState', s.physical),
          leaf('tdc:LockPhysicalState', s.lock),
          leaf('tdc:Alarm', s.alarm),
          leaf('tdc:Tamper', leaf('tdc:State', s.tamper)),
          leaf('tdc:DoorMode', s.mode),
        ),
      );
    })
    .operation(
      ns.tdc,
      'AccessDoor',
      command('AccessDoor', (door, call) => {
        // AccessTime and OpenTooLongTime override the door's defaults for this one access (AccessTimingOverride).
        door.access(duration(call, 'AccessTime'), duration(call, 'OpenTooLongTime'));
      }),
    )
    .operation(ns.tdc, 'UnlockDoor', command('UnlockDoor', (door) => door.unlock()))
    .operation(ns.tdc, 'LockDoor', command('LockDoor', (door) => door.lock()))
    .operation(ns.tac, 'GetServiceCapabilities', () =>
      leaf('tac:GetServiceCapabilitiesResponse', el('tac:Capabilities', { MaxLimit: maxLimit, MaxAccessPoints: doors.length, MaxAreas: 0, ClientSuppliedTokenSupported: false })),
    )
    .operation(ns.tac, 'GetAccessPointInfoList', (call) => {
      const { slice, next } = page(call, doors, maxLimit);
      return leaf(
        'tac:GetAccessPointInfoListResponse',
        next === undefined ? null : leaf('tac:NextStartReference', next),
        slice.map((d) =>
          el(
            'tac:AccessPointInfo',
            { token: accessPointOf(d.token) },
            leaf('tac:Name', `${d.name} reader`),
            leaf('tac:Entity', d.token),
            leaf('tac:EntityType', 'tdc:Door'),
            el('tac:Capabilities', { DisableAccessPoint: false, Duress: false, AnonymousAccess: false, AccessTaken: false, ExternalAuthorization: false }),
          ),
        ),
      );
    });
}
