/**
 * The door controller over the wire: ONVIF Door Control commands and state,
 * door and access events through PullPoint (raw SOAP and the `onvif` package),
 * the /sim scenario API, and refused credentials.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifSoapClient } from '../camera/onvif-soap-client.js';
import { children, textAt, type XmlElement } from '../camera/xml-reader.js';
import { DoorControllerSimulator, type DoorControllerEndpoints } from './door-controller-simulator.js';

const require = createRequire(import.meta.url);
type Callback<T> = (err: Error | null, value: T) => void;
interface OnvifCam {
  connect(cb: (err: Error | null) => void): void;
  uri: Record<string, { href: string }>;
  createPullPointSubscription(cb: Callback<unknown>): void;
  pullMessages(opts: { messageLimit?: number }, cb: Callback<{ notificationMessage?: unknown }>): void;
}
const { Cam } = require('onvif') as { Cam: new (opts: Record<string, unknown>) => OnvifCam };

const user = { username: 'admin', password: 'secret' };
const client = new OnvifSoapClient(user);
let panel: DoorControllerSimulator;
let ep: DoorControllerEndpoints;
let doorService: string;
let eventService: string;

beforeAll(async () => {
  panel = new DoorControllerSimulator({
    name: 'Block A panel',
    ...user,
    doors: ['Lobby', 'Car park'],
    timing: { accessSec: 0.3, openTooLongSec: 0.4, walkUpSec: 0.05, passageSec: 0.1 },
    discoveryPort: 0,
  });
  ep = await panel.start();
  doorService = ep.xaddr.replace('device_service', 'doorcontrol_service');
  eventService = ep.xaddr.replace('device_service', 'event_service');
});

afterAll(async () => {
  await panel?.stop();
});

interface Event {
  topic: string;
  op: string | undefined;
  source: Record<string, string>;
  data: Record<string, string>;
}

function items(el: XmlElement | undefined): Record<string, string> {
  return Object.fromEntries(children(el, 'SimpleItem').map((i) => [i.attrs['Name'], i.attrs['Value']]));
}

/** A pull-point subscriber over raw SOAP, with short long-polls so every wait is bounded. */
class Subscriber {
  #address = '';
  static async create(filter?: string): Promise<Subscriber> {
    const s = new Subscriber();
    const body = filter
      ? `<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${filter}</wsnt:TopicExpression></tev:Filter><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`
      : '<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>';
    const res = await client.call(eventService, body);
    expect(res.status).toBe(200);
    s.#address = textAt(res.body, 'SubscriptionReference', 'Address')!;
    return s;
  }

  async pull(timeout = 'PT2S'): Promise<Event[]> {
    const res = await client.call(this.#address, `<tev:PullMessages><tev:Timeout>${timeout}</tev:Timeout><tev:MessageLimit>50</tev:MessageLimit></tev:PullMessages>`);
    expect(res.status).toBe(200);
    return children(res.body, 'NotificationMessage').map((m) => {
      const message = children(children(m, 'Message')[0], 'Message')[0];
      return { topic: textAt(m, 'Topic')!, op: message.attrs['PropertyOperation'], source: items(children(message, 'Source')[0]), data: items(children(message, 'Data')[0]) };
    });
  }

  /** Pulls until `predicate` matches, giving up after `maxPulls` two-second polls. */
  async until(predicate: (e: Event) => boolean, maxPulls = 5): Promise<Event> {
    for (let i = 0; i < maxPulls; i++) {
      const found = (await this.pull()).find(predicate);
      if (found) return found;
    }
    throw new Error('expected event did not arrive');
  }

  async renew(duration: string): Promise<number> {
    const res = await client.call(this.#address, `<wsnt:Renew><wsnt:TerminationTime>${duration}</wsnt:TerminationTime></wsnt:Renew>`);
    expect(res.status).toBe(200);
    return Date.parse(textAt(res.body, 'TerminationTime')!);
  }

  async unsubscribe(): Promise<void> {
    expect((await client.call(this.#address, '<wsnt:Unsubscribe/>')).status).toBe(200);
    // Gone: the subscription is unknown afterwards.
    const again = await client.call(this.#address, '<tev:PullMessages><tev:Timeout>PT0S</tev:Timeout><tev:MessageLimit>1</tev:MessageLimit></tev:PullMessages>');
    expect(again.faultSubcodes).toEqual(['wsrfrw:ResourceUnknownFault']);
  }
}

const doorState = async (token: string): Promise<Record<string, string | undefined>> => {
  const res = await client.call(doorService, `<tdc:GetDoorState><tdc:Token>${token}</tdc:Token></tdc:GetDoorState>`);
  const s = children(res.body, 'DoorState')[0];
  return { physical: textAt(s, 'DoorPhysicalState'), lock: textAt(s, 'LockPhysicalState'), alarm: textAt(s, 'Alarm'), mode: textAt(s, 'DoorMode'), tamper: textAt(s, 'Tamper', 'State') };
};
const scenario = (body: object): Promise<Response> => fetch(`${ep.admin}/fault`, { method: 'POST', body: JSON.stringify(body) });

describe('door controller commands and state', () => {
  it('lists its doors and their access points', async () => {
    expect(ep.doors).toEqual([
      { token: 'Door_1', name: 'Lobby', accessPoint: 'AP_Door_1' },
      { token: 'Door_2', name: 'Car park', accessPoint: 'AP_Door_2' },
    ]);
    const list = await client.call(doorService, '<tdc:GetDoorInfoList><tdc:Limit>1</tdc:Limit></tdc:GetDoorInfoList>');
    expect(children(list.body, 'DoorInfo').map((d) => [d.attrs['token'], textAt(d, 'Name')])).toEqual([['Door_1', 'Lobby']]);
    expect(textAt(list.body, 'NextStartReference')).toBe('1');
    const aps = await client.call(ep.xaddr.replace('device_service', 'accesscontrol_service'), '<tac:GetAccessPointInfoList/>');
    expect(children(aps.body, 'AccessPointInfo').map((a) => [a.attrs['token'], textAt(a, 'Entity')])).toEqual([
      ['AP_Door_1', 'Door_1'],
      ['AP_Door_2', 'Door_2'],
    ]);
  });

  it('unlocks, locks and grants momentary access on command, with the state changes as events', async () => {
    const sub = await Subscriber.create('tns1:Door/State/DoorMode');
    const initial = await sub.pull();
    expect(initial.filter((e) => e.op === 'Initialized').map((e) => [e.source['DoorToken'], e.data['State']])).toEqual([
      ['Door_1', 'Locked'],
      ['Door_2', 'Locked'],
    ]);

    expect((await client.call(doorService, '<tdc:UnlockDoor><tdc:Token>Door_2</tdc:Token></tdc:UnlockDoor>')).status).toBe(200);
    expect(await doorState('Door_2')).toMatchObject({ lock: 'Unlocked', mode: 'Unlocked' });
    expect((await sub.until((e) => e.source['DoorToken'] === 'Door_2' && e.op === 'Changed')).data).toEqual({ State: 'Unlocked' });

    expect((await client.call(doorService, '<tdc:LockDoor><tdc:Token>Door_2</tdc:Token></tdc:LockDoor>')).status).toBe(200);
    expect(await doorState('Door_2')).toMatchObject({ lock: 'Locked', mode: 'Locked' });
    expect((await sub.until((e) => e.source['DoorToken'] === 'Door_2')).data).toEqual({ State: 'Locked' });

    expect((await client.call(doorService, '<tdc:AccessDoor><tdc:Token>Door_2</tdc:Token><tdc:AccessTime>PT0.2S</tdc:AccessTime></tdc:AccessDoor>')).status).toBe(200);
    expect((await sub.until((e) => e.source['DoorToken'] === 'Door_2')).data).toEqual({ State: 'Accessed' });
    expect((await sub.until((e) => e.source['DoorToken'] === 'Door_2')).data).toEqual({ State: 'Locked' });
    expect(await sub.renew('PT600S')).toBeGreaterThan(Date.now() + 500_000);
    await sub.unsubscribe();
  });

  it('faults an unknown door and an unsupported command', async () => {
    const unknown = await client.call(doorService, '<tdc:UnlockDoor><tdc:Token>Door_9</tdc:Token></tdc:UnlockDoor>');
    expect([unknown.status, unknown.faultSubcodes]).toEqual([400, ['ter:InvalidArgVal', 'ter:NotFound']]);
    const blocked = await client.call(doorService, '<tdc:BlockDoor><tdc:Token>Door_1</tdc:Token></tdc:BlockDoor>');
    expect([blocked.status, blocked.faultSubcodes]).toEqual([500, ['ter:ActionNotSupported']]);
  });

  it('refuses bad credentials with ter:NotAuthorized', async () => {
    const res = await new OnvifSoapClient({ username: 'admin', password: 'guess' }).call(doorService, '<tdc:UnlockDoor><tdc:Token>Door_1</tdc:Token></tdc:UnlockDoor>');
    expect([res.status, res.faultSubcodes]).toEqual([400, ['ter:NotAuthorized']]);
    expect(await doorState('Door_1')).toMatchObject({ lock: 'Locked' });
  });
});

describe('door controller incidents', () => {
  it('reports a forced door as DoorForcedOpen, then Normal once shut', async () => {
    const sub = await Subscriber.create('tns1:Door/State/DoorAlarm');
    await sub.pull(); // initial values
    expect((await scenario({ scenario: 'force', door: 'Door_1', durationSec: 0.2 })).status).toBe(200);
    expect(await sub.until((e) => e.data['State'] === 'DoorForcedOpen')).toMatchObject({ topic: 'tns1:Door/State/DoorAlarm', source: { DoorToken: 'Door_1' } });
    expect(await sub.until((e) => e.source['DoorToken'] === 'Door_1')).toMatchObject({ data: { State: 'Normal' } });
    await sub.unsubscribe();
  });

  it('reports a door held open past OpenTooLongTime, after the granted card', async () => {
    const sub = await Subscriber.create('tns1:Door/State/DoorAlarm|tns1:AccessControl//.');
    await sub.pull();
    expect((await scenario({ fault: 'holdOpen', door: 'Door_2', durationSec: 0.8 })).status).toBe(200);
    const granted = await sub.until((e) => e.topic === 'tns1:AccessControl/AccessGranted/Credential');
    expect(granted.source).toEqual({ AccessPointToken: 'AP_Door_2' });
    expect(granted.data['CredentialToken']).toMatch(/^CRED-\d+$/);
    expect(await sub.until((e) => e.data['State'] === 'DoorOpenTooLong')).toMatchObject({ source: { DoorToken: 'Door_2' } });
    expect(await sub.until((e) => e.data['State'] === 'Normal')).toMatchObject({ source: { DoorToken: 'Door_2' } });
    await sub.unsubscribe();
  });

  it('reports a burst of refused cards and a tamper, and resets on clear', async () => {
    const sub = await Subscriber.create('tns1:AccessControl/Denied//.|tns1:Door/State/DoorTamper');
    await sub.pull();
    expect((await scenario({ scenario: 'deniedBurst', door: 'Door_1', count: 3, intervalSec: 0.05 })).status).toBe(200);
    const denied: Event[] = [];
    for (let i = 0; i < 5 && denied.length < 3; i++) denied.push(...(await sub.pull()).filter((e) => e.topic === 'tns1:AccessControl/Denied/CredentialNotFound/Card'));
    expect(denied).toHaveLength(3);
    expect(denied.every((e) => e.source['AccessPointToken'] === 'AP_Door_1' && /^[0-9A-F]{8}$/.test(e.data['Card']))).toBe(true);

    expect((await scenario({ scenario: 'tamper', door: 'Door_1' })).status).toBe(200);
    expect(await sub.until((e) => e.topic === 'tns1:Door/State/DoorTamper')).toMatchObject({ data: { State: 'TamperDetected' } });
    expect((await scenario({ scenario: 'clear' })).status).toBe(200);
    expect(await sub.until((e) => e.topic === 'tns1:Door/State/DoorTamper')).toMatchObject({ data: { State: 'NotInTamper' } });
    await sub.unsubscribe();
  });

  it('validates scenario requests, naming the problem', async () => {
    const bad = await scenario({ scenario: 'explode' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/scenario/);
    const noDoor = await scenario({ scenario: 'force', door: 'Door_7' });
    expect(noDoor.status).toBe(404);
  });
});

describe('door controller card traffic', () => {
  it('swipes cards on its own when traffic is enabled', async () => {
    const busy = new DoorControllerSimulator({
      name: 'busy',
      ...user,
      traffic: { seed: 3, meanSwipeIntervalSec: 0.5, deniedRatio: 0 },
      timing: { accessSec: 0.2, walkUpSec: 0.05, passageSec: 0.05 },
    });
    const busyEp = await busy.start();
    try {
      const res = await client.call(busyEp.xaddr, '<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression>tns1:AccessControl//.</wsnt:TopicExpression></tev:Filter></tev:CreatePullPointSubscription>');
      const address = textAt(res.body, 'SubscriptionReference', 'Address')!;
      let topic: string | undefined;
      for (let i = 0; i < 3 && !topic; i++) {
        const pulled = await client.call(address, '<tev:PullMessages><tev:Timeout>PT2S</tev:Timeout><tev:MessageLimit>5</tev:MessageLimit></tev:PullMessages>');
        topic = textAt(children(pulled.body, 'NotificationMessage')[0], 'Topic');
      }
      expect(topic).toBe('tns1:AccessControl/AccessGranted/Credential');
    } finally {
      await busy.stop();
    }
  });
});

describe('door controller with the onvif package (Profile C)', () => {
  it('connects without media services and pulls door events', async () => {
    const url = new URL(ep.xaddr);
    const cam = new Cam({ hostname: url.hostname, port: Number(url.port), username: user.username, password: user.password, path: url.pathname, autoconnect: false, timeout: 5000 });
    await new Promise<void>((resolve, reject) => cam.connect((err) => (err ? reject(err) : resolve())));
    expect(Object.keys(cam.uri)).toEqual(expect.arrayContaining(['doorcontrol', 'events', 'accesscontrol']));
    await new Promise((resolve, reject) => cam.createPullPointSubscription((err, v) => (err ? reject(err) : resolve(v))));
    const first = await new Promise<{ notificationMessage?: unknown }>((resolve, reject) => cam.pullMessages({ messageLimit: 50 }, (err, v) => (err ? reject(err) : resolve(v))));
    const messages = Array.isArray(first.notificationMessage) ? first.notificationMessage : [first.notificationMessage];
    // Five property topics per door, initialised for two doors.
    expect(messages).toHaveLength(10);
  });
});
