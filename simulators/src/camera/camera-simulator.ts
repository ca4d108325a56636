/**
 * A simulated ONVIF IP camera (Profile S with PTZ and events): device, media,
 * PTZ and event SOAP services with WS-Security, a real RTSP/H.264 stream, a
 * Digest-protected JPEG snapshot, WS-Discovery, and faults on command through
 * a small admin API (`POST /sim/fault`, `GET /sim/state`) or `injectFault()`.
 *
 *   const cam = new CameraSimulator({ name: 'cam1', username: 'admin', password: 'secret' });
 *   const { xaddr, rtsp, snapshot } = await cam.start();   // ports 0 → ephemeral
 *   cam.injectFault('motion', { durationSec: 5 });
 *   await cam.stop();
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { unitAt } from '../signals/seeded-noise.js';
import { cameraTokens, registerMediaService, registerPtzService } from './camera-onvif-services.js';
import { deviceCapabilities, eventCapabilities, onvifScopes, registerDeviceService } from './device-service.js';
import { encodeCameraClip } from './h264-clip.js';
import { DigestAuthenticator } from './http-digest.js';
import { ns } from './onvif-namespaces.js';
import { OnvifHttpServer, readBody, sendJson, type DeviceMode } from './onvif-http-server.js';
import { PtzHead } from './ptz-head.js';
import { PullPointBroker, type OnvifEvent, type TopicDescription } from './pull-point.js';
import { RtspServer } from './rtsp-server.js';
import { silentLogger, type SimLogger } from './sim-logger.js';
import { VideoLoop, type PictureMode } from './video-loop.js';
import { WsDiscoveryResponder } from './ws-discovery.js';
import { el, leaf } from './xml-writer.js';

/** A Digest realm from a device name: printable ASCII only, without the characters challenge parsers split on. */
export function digestRealm(prefix: string, name: string): string {
  return `${prefix} ${name.replace(/[^\x20-\x7e]|[",=\\]/g, '_')}`;
}

export const cameraFaultNames = ['offline', 'frozen', 'tamper', 'motion', 'malformed'] as const;
export type CameraFault = (typeof cameraFaultNames)[number];

const port = z.number().int().min(0).max(65535);

export const cameraSimulatorOptionsSchema = z.object({
  name: z.string().min(1).max(64),
  username: z.string().min(1),
  password: z.string().min(1),
  /** Address to bind; URLs use `publicHost` (default: this, or 127.0.0.1 for a wildcard bind). */
  host: z.string().min(1).default('127.0.0.1'),
  publicHost: z.string().min(1).optional(),
  httpPort: port.default(0),
  rtspPort: port.default(0),
  /** WS-Discovery: absent = off; 3702 = multicast like a real camera; other = unicast-only responder (0 = ephemeral). */
  discoveryPort: port.optional(),
  width: z.number().int().min(64).max(1920).multipleOf(2).default(640),
  height: z.number().int().min(64).max(1080).multipleOf(2).default(360),
  fps: z.number().int().min(1).max(30).default(10),
  clipSeconds: z.number().int().min(2).max(60).default(10),
  /** Frames between IDRs: small, so a new viewer or a snapshot grab starts fast. */
  gop: z.number().int().min(1).max(300).default(5),
  /** How long a commanded motion lasts when no duration is given. */
  motionDurationSec: z.number().positive().default(10),
  /** Motion on a seeded random schedule (exponential gaps averaging `meanIntervalSec`). */
  randomMotion: z
    .object({ seed: z.number().int(), meanIntervalSec: z.number().positive(), durationSec: z.number().positive().default(8) })
    .optional(),
  location: z.string().max(128).optional(),
  manufacturer: z.string().default('Warden Sim'),
  model: z.string().default('WS-IPC-360'),
  ffmpegPath: z.string().default('ffmpeg'),
});

export type CameraSimulatorOptions = z.input<typeof cameraSimulatorOptionsSchema> & { logger?: SimLogger };

export interface CameraEndpoints {
  /** ONVIF device service. */
  readonly xaddr: string;
  readonly rtsp: string;
  readonly snapshot: string;
  /** Base of the /sim admin API. */
  readonly admin: string;
  readonly discoveryPort?: number;
}

export interface CameraState {
  readonly name: string;
  readonly faults: readonly { fault: CameraFault; until: string | null }[];
  readonly motion: boolean;
  readonly tamper: boolean;
  readonly picture: PictureMode;
  readonly viewers: number;
  readonly subscriptions: number;
  readonly ptz: { pan: number; tilt: number; zoom: number; moving: boolean };
}

export const cameraFaultRequestSchema = z.object({
  fault: z.enum([...cameraFaultNames, 'clear']),
  durationSec: z.number().positive().max(86_400).optional(),
});

const topics: readonly TopicDescription[] = [
  {
    topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
    isProperty: true,
    source: [
      ['VideoSourceConfigurationToken', 'tt:ReferenceToken'],
      ['VideoAnalyticsConfigurationToken', 'tt:ReferenceToken'],
      ['Rule', 'xs:string'],
    ],
    data: [['IsMotion', 'xs:boolean']],
  },
  {
    // ONVIF Imaging service's standard tamper topic (global scene change: covered, moved, defocused).
    topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService',
    isProperty: true,
    source: [['Source', 'tt:ReferenceToken']],
    data: [['State', 'xs:boolean']],
  },
];

export class CameraSimulator {
  readonly options: z.output<typeof cameraSimulatorOptionsSchema>;
  readonly #logger: SimLogger;
  readonly #publicHost: string;
  readonly #endpointUuid: string;
  readonly #faults = new Map<CameraFault, { timer: NodeJS.Timeout | undefined; until: number | null }>();
  readonly #ptz = new PtzHead();
  readonly #abort = new AbortController();
  #video: VideoLoop | undefined;
  #http: OnvifHttpServer | undefined;
  #rtsp: RtspServer | undefined;
  #events: PullPointBroker | undefined;
  #discovery: WsDiscoveryResponder | undefined;
  #discoveryPort: number | undefined;
  #randomMotionTimer: NodeJS.Timeout | undefined;
  #endpoints: CameraEndpoints | undefined;
  /** The start-up encode, awaited by stop() so its temporary files are gone when stop() resolves. */
  #encoding: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: CameraSimulatorOptions) {
    const { logger, ...rest } = options;
    this.options = cameraSimulatorOptionsSchema.parse(rest);
    this.#logger = logger ?? silentLogger;
    const host = this.options.host;
    this.#publicHost = this.options.publicHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    // Stable per name, like a real device's hardware UUID.
    const h = createHash('sha1').update(`warden-camera:${this.options.name}`).digest('hex');
    this.#endpointUuid = `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  get endpoints(): CameraEndpoints {
    if (!this.#endpoints) throw new Error(`camera ${this.options.name} is not started`);
    return this.#endpoints;
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<CameraEndpoints> {
    if (this.#endpoints) return this.#endpoints;
    if (this.#stopped) throw new Error(`camera ${this.options.name} was stopped; create a new simulator`);
    const o = this.options;
    try {
      const encoding = encodeCameraClip({
        label: o.name,
        width: o.width,
        height: o.height,
        fps: o.fps,
        seconds: o.clipSeconds,
        gop: o.gop,
        ffmpegPath: o.ffmpegPath,
        signal: this.#abort.signal,
      });
      this.#encoding = encoding;
      this.#video = new VideoLoop(await encoding);
      const credentials = { username: o.username, password: o.password };
      const realm = digestRealm('Warden camera', o.name);

      this.#rtsp = new RtspServer({
        host: o.host,
        port: o.rtspPort,
        publicHost: this.#publicHost,
        path: `/${encodeURIComponent(o.name)}/main`,
        streamName: o.name,
        video: this.#video,
        digest: new DigestAuthenticator({ realm, ...credentials, qop: false }),
        logger: this.#logger,
        offline: () => this.#faults.has('offline'),
      });
      await this.#rtsp.start();

      const http = new OnvifHttpServer({ host: o.host, port: o.httpPort, users: [credentials], logger: this.#logger, mode: () => this.#mode() });
      this.#http = http;
      this.#events = new PullPointBroker({
        subscriptionPath: '/onvif/subscription/',
        subscriptionUrl: (id) => `${this.#base()}/onvif/subscription/${id}`,
        topics,
        initialState: () => [this.#motionEvent('Initialized'), this.#tamperEvent('Initialized')],
      });
      this.#registerServices(http, new DigestAuthenticator({ realm, ...credentials, qop: true }));
      await http.start();

      if (o.discoveryPort !== undefined) {
        this.#discovery = new WsDiscoveryResponder({
          port: o.discoveryPort,
          host: o.host,
          endpoint: this.#endpointUuid,
          types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
          scopes: () => this.#scopes(),
          xaddrs: () => [`${this.#base()}/onvif/device_service`],
          answering: () => !this.#faults.has('offline'),
          logger: this.#logger,
        });
        this.#discoveryPort = await this.#discovery.start();
      }
      this.#scheduleRandomMotion(0);
      this.#endpoints = {
        xaddr: `${this.#base()}/onvif/device_service`,
        rtsp: this.#rtsp.url,
        snapshot: `${this.#base()}/onvif/snapshot.jpg`,
        admin: `${this.#base()}/sim`,
        ...(this.#discoveryPort !== undefined ? { discoveryPort: this.#discoveryPort } : {}),
      };
      this.#logger('info', 'camera simulator ready', { ...this.#endpoints });
      return this.#endpoints;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops every server, timer and (if still encoding) the ffmpeg child. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#encoding?.catch(() => undefined);
    if (this.#randomMotionTimer) clearTimeout(this.#randomMotionTimer);
    this.#randomMotionTimer = undefined;
    for (const f of this.#faults.values()) if (f.timer) clearTimeout(f.timer);
    this.#faults.clear();
    this.#events?.close();
    this.#video?.stop();
    await Promise.all([this.#http?.stop(), this.#rtsp?.stop(), this.#discovery?.stop()]);
    this.#endpoints = undefined;
  }

  /** Starts a fault (or, with 'clear', ends them all). A duration ends it by itself; motion defaults to `motionDurationSec`. */
  injectFault(fault: CameraFault | 'clear', options: { durationSec?: number } = {}): void {
    if (fault === 'clear') return this.clearFaults();
    const existing = this.#faults.get(fault);
    if (existing?.timer) clearTimeout(existing.timer);
    const durationSec = options.durationSec ?? (fault === 'motion' ? this.options.motionDurationSec : undefined);
    const timer = durationSec === undefined ? undefined : setTimeout(() => this.#endFault(fault), durationSec * 1000);
    timer?.unref();
    this.#faults.set(fault, { timer, until: durationSec === undefined ? null : Date.now() + durationSec * 1000 });
    if (existing) return;
    this.#logger('info', 'camera fault started', { fault, durationSec });
    if (fault === 'offline') this.#rtsp?.dropAll();
    if (fault === 'motion') this.#events?.publish(this.#motionEvent('Changed'));
    if (fault === 'tamper') this.#events?.publish(this.#tamperEvent('Changed'));
    this.#updatePicture();
  }

  clearFaults(): void {
    for (const fault of [...this.#faults.keys()]) this.#endFault(fault);
  }

  state(): CameraState {
    return {
      name: this.options.name,
      faults: [...this.#faults].map(([fault, f]) => ({ fault, until: f.until === null ? null : new Date(f.until).toISOString() })),
      motion: this.#faults.has('motion'),
      tamper: this.#faults.has('tamper'),
      picture: this.#video?.mode ?? 'live',
      viewers: this.#rtsp?.viewerCount ?? 0,
      subscriptions: this.#events?.subscriptionCount ?? 0,
      ptz: { ...this.#ptz.position(), moving: this.#ptz.moving().panTilt || this.#ptz.moving().zoom },
    };
  }

  #endFault(fault: CameraFault): void {
    const f = this.#faults.get(fault);
    if (!f) return;
    if (f.timer) clearTimeout(f.timer);
    this.#faults.delete(fault);
    this.#logger('info', 'camera fault ended', { fault });
    if (fault === 'motion') this.#events?.publish(this.#motionEvent('Changed'));
    if (fault === 'tamper') this.#events?.publish(this.#tamperEvent('Changed'));
    this.#updatePicture();
  }

  #updatePicture(): void {
    this.#video?.setMode(this.#faults.has('tamper') ? 'black' : this.#faults.has('frozen') ? 'frozen' : 'live');
  }

  #mode(): DeviceMode {
    if (this.#faults.has('offline')) return 'offline';
    return this.#faults.has('malformed') ? 'malformed' : 'normal';
  }

  #base(): string {
    return `http://${this.#publicHost}:${this.#http?.port ?? 0}`;
  }

  #scopes(): string[] {
    return onvifScopes(['type/video_encoder', 'type/ptz', 'Profile/Streaming'], this.options);
  }

  #motionEvent(op: 'Initialized' | 'Changed'): OnvifEvent {
    return {
      topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
      time: new Date(),
      propertyOperation: op,
      source: [
        { name: 'VideoSourceConfigurationToken', value: cameraTokens.videoSourceConfig },
        { name: 'VideoAnalyticsConfigurationToken', value: cameraTokens.analyticsConfig },
        { name: 'Rule', value: cameraTokens.motionRule },
      ],
      data: [{ name: 'IsMotion', value: String(this.#faults.has('motion')) }],
    };
  }

  #tamperEvent(op: 'Initialized' | 'Changed'): OnvifEvent {
    return {
      topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService',
      time: new Date(),
      propertyOperation: op,
      source: [{ name: 'Source', value: cameraTokens.videoSource }],
      data: [{ name: 'State', value: String(this.#faults.has('tamper')) }],
    };
  }

  #scheduleRandomMotion(n: number): void {
    const rm = this.options.randomMotion;
    if (!rm || this.#stopped) return;
    const u = unitAt(rm.seed, 0x6d6f74, n);
    const gapMs = Math.max(1000, -Math.log(1 - u) * rm.meanIntervalSec * 1000);
    this.#randomMotionTimer = setTimeout(() => {
      if (!this.#faults.has('offline') && !this.#faults.has('motion')) this.injectFault('motion', { durationSec: rm.durationSec });
      this.#scheduleRandomMotion(n + 1);
    }, gapMs);
    this.#randomMotionTimer.unref();
  }

  #registerServices(http: OnvifHttpServer, snapshotDigest: DigestAuthenticator): void {
    const o = this.options;
    const url = (p: string): string => `${this.#base()}${p}`;
    registerDeviceService(http, {
      identity: {
        manufacturer: o.manufacturer,
        model: o.model,
        firmwareVersion: '1.0.0-sim',
        serialNumber: this.#endpointUuid.slice(9, 17).toUpperCase(),
        hardwareId: 'WS-IPC',
      },
      hostname: o.name,
      scopes: () => this.#scopes(),
      capabilities: () => [
        deviceCapabilities(url('/onvif/device_service')),
        eventCapabilities(url('/onvif/event_service')),
        leaf(
          'tt:Media',
          leaf('tt:XAddr', url('/onvif/media_service')),
          leaf('tt:StreamingCapabilities', leaf('tt:RTPMulticast', false), leaf('tt:RTP_TCP', false), leaf('tt:RTP_RTSP_TCP', true)),
        ),
        leaf('tt:PTZ', leaf('tt:XAddr', url('/onvif/ptz_service'))),
      ],
      services: () => [
        { namespace: ns.tds, xaddr: url('/onvif/device_service'), version: [2, 60] },
        { namespace: ns.trt, xaddr: url('/onvif/media_service'), version: [2, 60], capabilities: el('trt:Capabilities', { SnapshotUri: true }) },
        { namespace: ns.tptz, xaddr: url('/onvif/ptz_service'), version: [2, 60], capabilities: el('tptz:Capabilities', { MoveStatus: true, StatusPosition: true }) },
        { namespace: ns.tev, xaddr: url('/onvif/event_service'), version: [2, 60], capabilities: el('tev:Capabilities', { WSPullPointSupport: true }) },
      ],
    });
    registerMediaService(http, {
      width: o.width,
      height: o.height,
      fps: o.fps,
      gop: o.gop,
      bitrateKbps: 400,
      streamUri: () => this.#rtsp!.url,
      snapshotUri: () => url('/onvif/snapshot.jpg'),
    });
    registerPtzService(http, this.#ptz);
    this.#events!.register(http);

    http.route('GET', '/onvif/snapshot.jpg', (req, res) => {
      const result = snapshotDigest.verify('GET', req.headers.authorization);
      if (result !== 'ok') {
        if (result === 'invalid') this.#logger('warn', 'snapshot authentication failed', {});
        res.writeHead(401, { 'www-authenticate': snapshotDigest.challenge(result === 'stale'), 'content-type': 'text/plain' }).end('401 Unauthorized');
        return;
      }
      const jpeg = this.#video!.snapshot();
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' }).end(jpeg);
    });
    http.route('GET', '/sim/state', (_req, res) => sendJson(res, 200, this.state()), { admin: true });
    http.route(
      'POST',
      '/sim/fault',
      async (req, res) => {
        const body = await readBody(req, 64 * 1024);
        let json: unknown;
        try {
          json = JSON.parse(body ?? '');
        } catch {
          return sendJson(res, 400, { error: 'body must be JSON: {"fault": "offline"|"frozen"|"tamper"|"motion"|"malformed"|"clear", "durationSec"?: number}' });
        }
        const parsed = cameraFaultRequestSchema.safeParse(json);
        if (!parsed.success) return sendJson(res, 400, { error: z.prettifyError(parsed.error) });
        this.injectFault(parsed.data.fault, { durationSec: parsed.data.durationSec });
        sendJson(res, 200, this.state());
      },
      { admin: true },
    );
  }
}
