/**
 * The camera simulator driven by two independent ONVIF clients (node-onvif and
 * the `onvif` package), plus raw SOAP for the error paths and WS-Discovery.
 */
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CameraSimulator, type CameraEndpoints } from './camera-simulator.js';
import { digestAuthorization } from './http-digest.js';
import { ns } from './onvif-namespaces.js';
import { OnvifSoapClient } from './onvif-soap-client.js';
import { child, readXml, textAt } from './xml-reader.js';
import { probeMessage } from './ws-discovery.js';

const require = createRequire(import.meta.url);

// Just the parts of the two untyped client libraries these tests touch.
interface NodeOnvifDevice {
  init(): Promise<Record<string, string>>;
  getUdpStreamUrl(): string;
  getCurrentProfile(): { token: string; snapshot: string; video: { encoder: { resolution: { width: number; height: number } } } };
  fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
  ptzMove(params: { speed: { x: number; y: number; z: number }; timeout?: number }): Promise<void>;
  ptzStop(): Promise<unknown>;
}
const nodeOnvif = require('node-onvif') as { OnvifDevice: new (opts: { xaddr: string; user: string; pass: string }) => NodeOnvifDevice };

type Callback<T> = (err: Error | null, value: T) => void;
interface OnvifCam {
  connect(cb: (err: Error | null) => void): void;
  activeSource: { profileToken: string; width: number; height: number };
  getDeviceInformation(cb: Callback<{ manufacturer: string; model: string }>): void;
  getProfiles(cb: Callback<{ $: { token: string }; name: string }[]>): void;
  getStreamUri(opts: { protocol: string }, cb: Callback<{ uri: string }>): void;
  getSnapshotUri(cb: Callback<{ uri: string }>): void;
  getStatus(opts: object, cb: Callback<{ position: { x: number; y: number; zoom: number } }>): void;
  absoluteMove(opts: { x: number; y: number; zoom: number }, cb: Callback<unknown>): void;
  createPullPointSubscription(cb: Callback<unknown>): void;
  pullMessages(opts: { messageLimit?: number }, cb: Callback<{ notificationMessage?: unknown }>): void;
  unsubscribe(cb: Callback<unknown>): void;
}
const { Cam } = require('onvif') as { Cam: new (opts: Record<string, unknown>) => OnvifCam };

const promisify =
  <T>(fn: (cb: Callback<T>) => void): Promise<T> =>
    new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

/** A notification from the `onvif` package reduced to topic, property operation and data items. */
interface Notification {
  topic: string;
  operation: string | undefined;
  data: Record<string, string>;
}
function toNotifications(raw: unknown): Notification[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((m: { topic: { _: string }; message: { message: { $: { PropertyOperation?: string }; data: { simpleItem: unknown } } } }) => {
    const items = m.message.message.data.simpleItem;
    const data: Record<string, string> = {};
    for (const item of (Array.isArray(items) ? items : [items]) as { $: { Name: string; Value: string | boolean } }[]) {
      data[item.$.Name] = String(item.$.Value);
    }
    return { topic: m.topic._, operation: m.message.message.$.PropertyOperation, data };
  });
}

const user = { username: 'admin', password: 'secret' };
let camera: CameraSimulator;
let ep: CameraEndpoints;

function newCam(password = user.password): OnvifCam {
  const url = new URL(ep.xaddr);
  return new Cam({ hostname: url.hostname, port: Number(url.port), username: user.username, password, path: url.pathname, autoconnect: false, timeout: 5000 });
}

beforeAll(async () => {
  camera = new CameraSimulator({ name: 'Lobby cam', ...user, width: 320, height: 180, clipSeconds: 4, discoveryPort: 0 });
  ep = await camera.start();
});

afterAll(async () => {
  await camera?.stop();
});

describe('camera simulator with node-onvif', () => {
  it('initialises, reports its identity and the real RTSP and snapshot URLs', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: ep.xaddr, user: user.username, pass: user.password });
    const info = await device.init();
    expect(info).toMatchObject({ Manufacturer: 'Warden Sim', Model: 'WS-IPC-360' });
    expect(device.getUdpStreamUrl()).toBe(ep.rtsp);
    expect(device.getCurrentProfile().snapshot).toBe(ep.snapshot);
    expect(device.getCurrentProfile().video.encoder.resolution).toEqual({ width: 320, height: 180 });
  });

  it('fetches a JPEG snapshot through HTTP Digest', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: ep.xaddr, user: user.username, pass: user.password });
    await device.init();
    const snap = await device.fetchSnapshot();
    expect(snap.headers['content-type']).toBe('image/jpeg');
    expect(snap.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(snap.body.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  });

  it('moves the PTZ head continuously and stops it', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: ep.xaddr, user: user.username, pass: user.password });
    await device.init();
    const before = camera.state().ptz.pan;
    await device.ptzMove({ speed: { x: 1, y: 0, z: 0 }, timeout: 1 });
    await vi.waitFor(() => expect(camera.state().ptz.pan).toBeGreaterThan(before + 0.05), { timeout: 2000, interval: 50 });
    expect(camera.state().ptz.moving).toBe(true);
    await device.ptzStop();
    expect(camera.state().ptz.moving).toBe(false);
  });

  it('rejects a wrong password with a NotAuthorized fault', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: ep.xaddr, user: user.username, pass: 'wrong' });
    await expect(device.init()).rejects.toThrow(/400 Bad Request - Sender not Authorized/);
  });
});

describe('camera simulator with the onvif package', () => {
  it('connects, lists profiles and returns the stream and snapshot URIs', async () => {
    const cam = newCam();
    await promisify<null>((cb) => cam.connect((err) => cb(err, null)));
    expect(cam.activeSource).toMatchObject({ profileToken: 'Profile_1', width: 320, height: 180 });
    const info = await promisify((cb: Callback<{ manufacturer: string; model: string }>) => cam.getDeviceInformation(cb));
    expect(info.manufacturer).toBe('Warden Sim');
    const profiles = await promisify((cb: Callback<{ $: { token: string }; name: string }[]>) => cam.getProfiles(cb));
    expect(profiles.map((p) => p.$.token)).toEqual(['Profile_1']);
    expect((await promisify((cb: Callback<{ uri: string }>) => cam.getStreamUri({ protocol: 'RTSP' }, cb))).uri).toBe(ep.rtsp);
    expect((await promisify((cb: Callback<{ uri: string }>) => cam.getSnapshotUri(cb))).uri).toBe(ep.snapshot);
  });

  it('moves the head to an absolute position and reports it in GetStatus', async () => {
    const cam = newCam();
    await promisify<null>((cb) => cam.connect((err) => cb(err, null)));
    await promisify((cb: Callback<unknown>) => cam.absoluteMove({ x: -0.5, y: 0.25, zoom: 0.5 }, cb));
    const status = await promisify((cb: Callback<{ position: { x: number; y: number; zoom: number } }>) => cam.getStatus({}, cb));
    expect(status.position).toEqual({ x: -0.5, y: 0.25, zoom: 0.5 });
  });

  it('delivers motion start and stop, then tamper, through a pull-point subscription', async () => {
    const cam = newCam();
    await promisify<null>((cb) => cam.connect((err) => cb(err, null)));
    await promisify((cb: Callback<unknown>) => cam.createPullPointSubscription(cb));
    const pull = async (): Promise<Notification[]> =>
      toNotifications((await promisify((cb: Callback<{ notificationMessage?: unknown }>) => cam.pullMessages({ messageLimit: 10 }, cb))).notificationMessage);
    /** Pulls until a notification on `topic` with `operation` arrives (each pull returns as soon as something is queued). */
    const next = async (topic: string, operation: string): Promise<Notification> => {
      for (let i = 0; i < 10; i++) {
        const found = (await pull()).find((n) => n.topic === topic && n.operation === operation);
        if (found) return found;
      }
      throw new Error(`no ${operation} ${topic}`);
    };

    const initial = await pull();
    expect(initial).toEqual(
      expect.arrayContaining([
        { topic: 'tns1:RuleEngine/CellMotionDetector/Motion', operation: 'Initialized', data: { IsMotion: 'false' } },
        { topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService', operation: 'Initialized', data: { State: 'false' } },
      ]),
    );

    camera.injectFault('motion', { durationSec: 0.3 });
    expect((await next('tns1:RuleEngine/CellMotionDetector/Motion', 'Changed')).data).toEqual({ IsMotion: 'true' });
    expect((await next('tns1:RuleEngine/CellMotionDetector/Motion', 'Changed')).data).toEqual({ IsMotion: 'false' });

    camera.injectFault('tamper', { durationSec: 0.3 });
    expect((await next('tns1:VideoSource/GlobalSceneChange/ImagingService', 'Changed')).data).toEqual({ State: 'true' });
    expect(camera.state().picture).toBe('black');
    expect((await next('tns1:VideoSource/GlobalSceneChange/ImagingService', 'Changed')).data).toEqual({ State: 'false' });
    expect(camera.state().picture).toBe('live');
    await promisify((cb: Callback<unknown>) => cam.unsubscribe(cb));
  });

  it('refuses a wrong password with an ONVIF SOAP fault', async () => {
    const cam = newCam('wrong');
    await expect(promisify((cb: Callback<unknown>) => cam.getDeviceInformation(cb))).rejects.toThrow(/ONVIF SOAP Fault: Sender not Authorized/);
  });
});

describe('camera simulator SOAP edge cases', () => {
  const deviceInfo = '<tds:GetDeviceInformation/>';

  it('answers GetSystemDateAndTime without credentials, as real cameras do', async () => {
    const res = await new OnvifSoapClient(undefined).call(ep.xaddr, '<tds:GetSystemDateAndTime/>');
    expect(res.status).toBe(200);
    expect(textAt(res.body, 'SystemDateAndTime', 'UTCDateTime', 'Date', 'Year')).toBe(String(new Date().getUTCFullYear()));
  });

  it('requires WS-Security everywhere else: HTTP 400 with ter:NotAuthorized', async () => {
    const anonymous = await new OnvifSoapClient(undefined).call(ep.xaddr, deviceInfo);
    expect(anonymous.status).toBe(400);
    expect(anonymous.faultSubcodes).toEqual(['ter:NotAuthorized']);
    const wrong = await new OnvifSoapClient({ username: 'admin', password: 'nope' }).call(ep.xaddr, deviceInfo);
    expect(wrong.status).toBe(400);
    expect(wrong.faultSubcodes).toEqual(['ter:NotAuthorized']);
  });

  it('answers a malformed request with a ter:WellFormed fault and keeps serving', async () => {
    const res = await fetch(ep.xaddr, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:Get' });
    expect(res.status).toBe(400);
    const body = child(child(readXml(await res.text()), 'Body', ns.s), 'Fault', ns.s);
    expect(textAt(body, 'Code', 'Subcode', 'Value')).toBe('ter:WellFormed');
    const after = await new OnvifSoapClient(user).call(ep.xaddr, deviceInfo);
    expect(after.status).toBe(200);
    expect(textAt(after.body, 'Model')).toBe('WS-IPC-360');
  });

  it('answers an unknown operation with ter:ActionNotSupported', async () => {
    const res = await new OnvifSoapClient(user).call(ep.xaddr, '<tds:SystemReboot/>');
    expect(res.status).toBe(500);
    expect(res.faultSubcodes).toEqual(['ter:ActionNotSupported']);
  });

  it('protects the snapshot with Digest and serves pictures that change over time', async () => {
    expect((await fetch(ep.snapshot)).status).toBe(401);
    const grab = async (password: string): Promise<Response> => {
      const challenge = (await fetch(ep.snapshot)).headers.get('www-authenticate') ?? '';
      const authorization = digestAuthorization(challenge, { method: 'GET', uri: new URL(ep.snapshot).pathname, username: 'admin', password });
      return fetch(ep.snapshot, { headers: { authorization } });
    };
    expect((await grab('wrong')).status).toBe(401);
    const first = Buffer.from(await (await grab('secret')).arrayBuffer());
    await vi.waitFor(
      async () => {
        const later = Buffer.from(await (await grab('secret')).arrayBuffer());
        expect(later.equals(first)).toBe(false);
      },
      { timeout: 3000, interval: 200 },
    );
  });

  it('goes offline and comes back on admin command', async () => {
    const fault = (body: object): Promise<Response> => fetch(`${ep.admin}/fault`, { method: 'POST', body: JSON.stringify(body) });
    expect((await fault({ fault: 'unplugged' })).status).toBe(400);
    expect((await fault({ fault: 'offline' })).status).toBe(200);
    await expect(new OnvifSoapClient(user).call(ep.xaddr, deviceInfo)).rejects.toThrow();
    expect((await fault({ fault: 'clear' })).status).toBe(200);
    expect((await new OnvifSoapClient(user).call(ep.xaddr, deviceInfo)).status).toBe(200);
  });

  it('answers with broken XML under the malformed fault', async () => {
    camera.injectFault('malformed');
    try {
      const res = await new OnvifSoapClient(user).call(ep.xaddr, deviceInfo);
      expect(res.body).toBeUndefined();
      const device = new nodeOnvif.OnvifDevice({ xaddr: ep.xaddr, user: user.username, pass: user.password });
      await expect(device.init()).rejects.toThrow();
    } finally {
      camera.clearFaults();
    }
  });
});

describe('camera WS-Discovery', () => {
  it('answers a unicast Probe with a ProbeMatch carrying the device service address', async () => {
    const socket = createSocket('udp4');
    try {
      const reply = new Promise<string>((resolve) => socket.once('message', (msg) => resolve(msg.toString('utf8'))));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.send(probeMessage('dn:NetworkVideoTransmitter', 'uuid:probe-1'), ep.discoveryPort!, '127.0.0.1');
      const root = readXml(await reply);
      expect(textAt(root, 'Header', 'RelatesTo')).toBe('uuid:probe-1');
      const match = child(child(child(root, 'Body'), 'ProbeMatches'), 'ProbeMatch');
      expect(textAt(match, 'XAddrs')).toBe(ep.xaddr);
      expect(textAt(match, 'Scopes')).toContain('onvif://www.onvif.org/name/Lobby%20cam');
    } finally {
      socket.close();
    }
  });
});
