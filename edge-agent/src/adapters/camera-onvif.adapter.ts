/**
 * An ONVIF IP camera (Profile S, PTZ, events). node-onvif reads what it is good
 * at — device information, media profiles, the stream and snapshot URIs, PTZ
 * moves; our own SOAP client adds what it lacks — PullPoint events — and the
 * health checks, which must tell a wrong password from a dead host from a
 * broken answer.
 *
 * Health, every `healthIntervalMs` (the device's read, and its heartbeat):
 * - ONVIF reachability: GetDeviceInformation with our credentials;
 * - RTSP reachability: OPTIONS + DESCRIBE with Digest on the main stream;
 * - frozen picture: the snapshot's hash unchanged over `frozenAfterChecks`
 *   consecutive checks while the camera is reachable.
 * They are the metrics onvifReachable, rtspReachable, pictureFrozen; their
 * transitions are camera.offline (with the reason) / camera.online /
 * camera.frozen events, and one logged error per cause. A frozen picture that
 * moves again is camera.online with `reason: "pictureMoving"` (the camera is
 * usable again: what clears the hub's video-lost-or-frozen alarm). Nothing here throws
 * into the agent: an unreachable camera is a reading, not a crash; connecting
 * again backs off.
 *
 * Events (PullPoint): CellMotionDetector/Motion IsMotion → camera.motionStart
 * / camera.motionStop; GlobalSceneChange/ImagingService and
 * TamperDetector/Tamper → camera.tamper. Properties' `Initialized` values at
 * subscription set what the adapter knows (ONVIF Core §9.2.2); after a lost
 * subscription, an Initialized value that differs from what was known is a
 * change that happened meanwhile and is reported as one. A camera already
 * tampered with when first subscribed is reported too (camera.tamper with
 * `initial: true`): a covered lens must alarm even if it was covered before the
 * agent started; a resubscription that finds it still tampered says nothing new.
 * Motion already in progress at subscription is state, not a happening.
 *
 * Evidence (camera.snapshot, camera.clip) comes through fluent-ffmpeg from the
 * RTSP stream, the snapshot URI standing by for the snapshot (rtsp-evidence.ts).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { MAX_PAYLOAD_BYTES, type Command } from '@warden/protocols';
import type { CameraDeviceConfig, DeviceConfig } from '../config/agent-config.schema.js';
import { deviceCatalog } from '../devices/device-catalog.js';
import { withTimeout } from '../agent/with-timeout.js';
import type { AdapterContext, AdapterSink, CommandOutcome, DeviceAdapter, DeviceDescription, Reading } from './device-adapter.js';
import { warmUpFfmpeg } from './onvif/ffmpeg-job.js';
import { getWithDigest } from './onvif/http-digest-client.js';
import { maxRawBytesForBase64 } from './onvif/media-checks.js';
import { describeOnvifError, OnvifSoapClient } from './onvif/onvif-soap-client.js';
import { PullPointSubscription, type OnvifNotification } from './onvif/pull-point-subscription.js';
import { recordRtspClip, takeSnapshot } from './onvif/rtsp-evidence.js';
import { probeRtsp } from './onvif/rtsp-probe.js';
import { textAt } from './onvif/soap-xml.js';

const require = createRequire(import.meta.url);

/** The parts of node-onvif (untyped CommonJS) this adapter uses. */
interface NodeOnvifProfile {
  token: string;
  snapshot: string;
  stream: { udp: string; http: string; rtsp: string };
}
interface NodeOnvifPtz {
  absoluteMove(params: { ProfileToken: string; Position: { x: number; y: number; z: number } }): Promise<unknown>;
  getStatus(params: { ProfileToken: string }): Promise<{ data?: unknown }>;
}
interface NodeOnvifDevice {
  init(): Promise<unknown>;
  getInformation(): { Manufacturer?: string; Model?: string; SerialNumber?: string } | null;
  getCurrentProfile(): NodeOnvifProfile | null;
  services: { ptz: NodeOnvifPtz | null };
}
const onvif = require('node-onvif') as { OnvifDevice: new (params: { xaddr: string; user: string; pass: string }) => NodeOnvifDevice };

/** Room for the ack's envelope around the base64 image or clip (PROTOCOL.md §10, §13). */
const ACK_ENVELOPE_BYTES = 4096;
const MAX_MEDIA_BYTES = maxRawBytesForBase64(MAX_PAYLOAD_BYTES - ACK_ENVELOPE_BYTES);
const PROBE_TIMEOUT_MS = 3000;
const CONNECT_TIMEOUT_MS = 15_000;
/** How long start() waits for the first connection before the agent goes on (the attempt continues). */
const START_WAIT_MS = 5000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 60_000;

interface CameraSession {
  device: NodeOnvifDevice;
  profileToken: string;
  streamUri: string | undefined;
  snapshotUri: string | undefined;
}

const parseBoolean = (v: string | undefined): boolean | undefined => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined);

export { grabRtspFrame } from './onvif/rtsp-evidence.js';

export function createOnvifCameraAdapter(device: DeviceConfig, context: AdapterContext): DeviceAdapter {
  if (device.type !== 'camera') throw new Error(`device ${device.id} is not a camera`);
  return new OnvifCameraAdapter(device, context);
}

export class OnvifCameraAdapter implements DeviceAdapter {
  readonly deviceId: string;
  readonly #config: CameraDeviceConfig;
  readonly #log: Logger;
  /** `camera "Lobby camera" (a-cam-lobby)`: every log line names the camera. */
  readonly #label: string;
  readonly #soap: OnvifSoapClient;
  readonly #stopping = new AbortController();
  #sink: AdapterSink | undefined;
  #session: CameraSession | undefined;
  #nameplate: { model?: string; manufacturer?: string; serial?: string } = {};
  #connecting: Promise<void> | undefined;
  #connectProblem: string | undefined;
  #connectFailures = 0;
  #nextConnectAt = 0;
  #events: PullPointSubscription | undefined;
  #eventsProblem: string | undefined;
  /** Health as last reported. The camera counts as online until a check says otherwise, so a dead camera at start alarms too. */
  #online = true;
  #offlineSince = 0;
  #reason: string | undefined;
  #snapshots: { hash: string; ts: number }[] = [];
  #frozen = false;
  #frozenSince = 0;
  #ffmpegWarmUp: Promise<void> | undefined;
  #snapshotProblem: string | undefined;
  #motion: { value: boolean; since: number } | undefined;
  #tamper: boolean | undefined;

  constructor(config: CameraDeviceConfig, context: AdapterContext) {
    this.deviceId = config.id;
    this.#config = config;
    this.#label = `camera "${config.name}" (${config.id})`;
    this.#log = context.logger.child({ camera: config.name, xaddr: config.xaddr });
    this.#soap = new OnvifSoapClient({ username: config.user, password: config.password }, { timeoutMs: PROBE_TIMEOUT_MS });
  }

  describe(): DeviceDescription {
    return { ...deviceCatalog.camera, ...this.#nameplate };
  }

  async start(sink: AdapterSink): Promise<void> {
    this.#sink = sink;
    // fluent-ffmpeg's one-off format checks, now rather than in the first evidence snapshot.
    this.#ffmpegWarmUp = warmUpFfmpeg(this.#config.ffmpegPath);
    const connecting = this.#connectOnce();
    // A camera that is slow or down must not hold the agent's start; the attempt goes on.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connecting, new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#events?.stop();
    this.#events = undefined;
    // Its two short ffmpeg runs end by themselves; wait, so none outlives the adapter.
    await this.#ffmpegWarmUp;
  }

  // ------------------------------------------------------------------ connection

  #connectOnce(): Promise<void> {
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const { xaddr, user, password } = this.#config;
    const signal = this.#stopping.signal;
    try {
      // Pre-auth first: it says whether anything answers at all, and gives the clock offset the digest needs.
      await this.#soap.syncClock(xaddr, { signal });
      // Our own call, so that a wrong password is named as such (node-onvif's errors are bare strings).
      await this.#soap.call(xaddr, '<tds:GetDeviceInformation/>', { signal });
      const device = new onvif.OnvifDevice({ xaddr, user, pass: password });
      await withTimeout(device.init(), CONNECT_TIMEOUT_MS, `ONVIF initialisation took longer than ${CONNECT_TIMEOUT_MS} ms`);
      const profile = device.getCurrentProfile();
      if (!profile) throw new Error('the camera has no media profile');
      const capabilities = await this.#soap.call(xaddr, '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>', { signal });
      const eventsUrl = textAt(capabilities, 'Capabilities', 'Events', 'XAddr');
      if (signal.aborted) return;

      const info = device.getInformation() ?? {};
      const nameplate = { model: info.Model || undefined, manufacturer: info.Manufacturer || undefined, serial: info.SerialNumber || undefined };
      const changed = JSON.stringify(nameplate) !== JSON.stringify(this.#nameplate);
      this.#nameplate = nameplate;
      this.#session = {
        device,
        profileToken: profile.token,
        streamUri: profile.stream.rtsp || profile.stream.udp || undefined,
        snapshotUri: profile.snapshot || undefined,
      };
      this.#connectFailures = 0;
      if (this.#connectProblem) this.#log.info(`${this.#label}: ONVIF answers again`);
      this.#connectProblem = undefined;
      this.#log.info({ model: nameplate.model, manufacturer: nameplate.manufacturer, profile: profile.token, events: eventsUrl !== undefined }, `${this.#label}: connected`);
      if (changed) this.#sink?.redescribe();
      if (eventsUrl) this.#subscribe(eventsUrl);
      else this.#log.warn(`${this.#label}: no event service in GetCapabilities; motion and tamper events are not available`);
    } catch (err) {
      if (signal.aborted) return;
      this.#connectFailures += 1;
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.#connectFailures - 1));
      this.#nextConnectAt = Date.now() + delay;
      this.#connectProblem = describeOnvifError(err);
      // Logged by the health check that reports it (once per cause), not here.
      this.#log.debug({ retryInMs: delay }, `${this.#label}: ONVIF connection failed: ${this.#connectProblem}`);
    }
  }

  #subscribe(eventsUrl: string): void {
    if (this.#events || this.#stopping.signal.aborted) return;
    this.#events = new PullPointSubscription(
      { client: this.#soap, eventsUrl },
      {
        notifications: (batch) => {
          for (const n of batch) this.#onNotification(n);
        },
        subscribed: ({ again }) => {
          if (again || this.#eventsProblem) this.#log.info(`${this.#label}: event subscription restored`);
          this.#eventsProblem = undefined;
        },
        error: (err, { retryInMs }) => {
          const problem = describeOnvifError(err);
          // The health check raises the alarm and the error; here one warning per distinct cause.
          if (problem !== this.#eventsProblem) this.#log.warn({ retryInMs }, `${this.#label}: event subscription lost: ${problem}`);
          this.#eventsProblem = problem;
        },
      },
    );
    this.#events.start();
  }

  // ------------------------------------------------------------------ events

  #onNotification(n: OnvifNotification): void {
    if (n.topic === 'RuleEngine/CellMotionDetector/Motion') {
      const value = parseBoolean(n.data.IsMotion);
      if (value !== undefined) this.#motionChanged(value, n);
    } else if (n.topic === 'VideoSource/GlobalSceneChange/ImagingService' || n.topic === 'RuleEngine/TamperDetector/Tamper') {
      const value = parseBoolean(n.data.State ?? n.data.IsTamper);
      if (value === undefined) return;
      const known = this.#tamper;
      this.#tamper = value;
      if (value && known !== true) {
        // Already tampered with at our first subscription: an alarm all the same, marked as found rather than seen happening.
        const initial = n.operation === 'Initialized' && known === undefined;
        if (initial) this.#log.warn(`${this.#label}: already tampered with (${n.topic}) when the agent subscribed`);
        // GlobalSceneChange does not say whether the view was covered, turned or defocused: name the detector instead of guessing.
        this.#sink?.event({
          kind: 'camera.tamper',
          ts: n.ts,
          data: { detector: n.topic.split('/')[1], ...(this.#config.zone ? { zone: this.#config.zone } : {}), ...(initial ? { initial: true } : {}) },
        });
      }
    }
  }

  #motionChanged(value: boolean, n: OnvifNotification): void {
    const known = this.#motion;
    this.#motion = { value, since: known?.value === value ? known.since : n.ts };
    if (known?.value === value) return;
    // The value at subscription time is the state, not a happening.
    if (n.operation === 'Initialized' && known === undefined) return;
    const zone = this.#config.zone ?? n.source.Rule ?? n.source.VideoSourceConfigurationToken ?? 'default';
    const rule = n.source.Rule;
    if (value) this.#sink?.event({ kind: 'camera.motionStart', ts: n.ts, data: { zone, ...(rule ? { rule } : {}) } });
    else {
      const durationSec = known ? Math.max(0, Math.round((n.ts - known.since) / 100) / 10) : undefined;
      this.#sink?.event({ kind: 'camera.motionStop', ts: n.ts, data: { zone, ...(rule ? { rule } : {}), ...(durationSec !== undefined ? { durationSec } : {}) } });
    }
  }

  // ------------------------------------------------------------------ health

  async read(): Promise<Reading[]> {
    if (!this.#session && Date.now() >= this.#nextConnectAt) await this.#connectOnce();
    else if (this.#connecting) await this.#connecting;
    const session = this.#session;
    const [onvifProblem, rtspProblem] = await Promise.all([
      session ? this.#probeOnvif() : Promise.resolve(this.#connectProblem ?? 'not connected yet'),
      session?.streamUri ? this.#probeRtsp(session.streamUri) : Promise.resolve('stream URI unknown until ONVIF answers'),
    ]);
    const ts = Date.now();
    // Unknown this time (the snapshot failed): the picture is as last known.
    const frozen = (!onvifProblem && !rtspProblem && session ? await this.#checkPicture(session, ts) : this.#resetPicture()) ?? this.#frozen;
    this.#report(onvifProblem, rtspProblem, frozen, ts);
    return [
      { metric: 'onvifReachable', value: !onvifProblem, ts },
      { metric: 'rtspReachable', value: !rtspProblem, ts },
      { metric: 'pictureFrozen', value: frozen, ts },
    ];
  }

  async #probeOnvif(): Promise<string | undefined> {
    try {
      await this.#soap.call(this.#config.xaddr, '<tds:GetDeviceInformation/>', { signal: this.#stopping.signal });
      return undefined;
    } catch (err) {
      return describeOnvifError(err);
    }
  }

  async #probeRtsp(streamUri: string): Promise<string | undefined> {
    try {
      await probeRtsp(streamUri, { username: this.#config.user, password: this.#config.password, timeoutMs: PROBE_TIMEOUT_MS });
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Frozen: the last `frozenAfterChecks` snapshots are byte-identical (a live
   * sensor never gives the same JPEG twice); moving: the last two differ;
   * undefined: cannot tell (the snapshot failed, or too few yet) — a frozen
   * picture is not declared moving again on no evidence.
   */
  async #checkPicture(session: CameraSession, ts: number): Promise<boolean | undefined> {
    let jpeg: Buffer;
    try {
      if (!session.snapshotUri) return this.#resetPicture();
      jpeg = (await getWithDigest(session.snapshotUri, this.#httpOptions(PROBE_TIMEOUT_MS))).body;
      if (this.#snapshotProblem) this.#log.info(`${this.#label}: snapshots work again`);
      this.#snapshotProblem = undefined;
    } catch (err) {
      const problem = (err as Error).message;
      if (problem !== this.#snapshotProblem) this.#log.warn(`${this.#label}: snapshot for the frozen-picture check failed: ${problem}`);
      this.#snapshotProblem = problem;
      this.#resetPicture();
      return undefined;
    }
    const hash = createHash('sha256').update(jpeg).digest('hex');
    this.#snapshots.push({ hash, ts });
    if (this.#snapshots.length > this.#config.frozenAfterChecks) this.#snapshots.shift();
    if (this.#snapshots.length >= this.#config.frozenAfterChecks && this.#snapshots.every((s) => s.hash === hash)) return true;
    if (this.#snapshots.length >= 2 && this.#snapshots.at(-2)!.hash !== hash) return false;
    return undefined;
  }

  #resetPicture(): boolean {
    this.#snapshots = [];
    return false;
  }

  /** Turns this check's outcome into events and logs, on transitions only. */
  #report(onvifProblem: string | undefined, rtspProblem: string | undefined, frozen: boolean, ts: number): void {
    const problems = [onvifProblem && `ONVIF ${onvifProblem}`, rtspProblem && `RTSP ${rtspProblem}`].filter((p): p is string => !!p);
    const reason = problems.join('; ');
    if (problems.length > 0) {
      if (reason !== this.#reason) this.#log.error({ onvifReachable: !onvifProblem, rtspReachable: !rtspProblem }, `${this.#label}: ${reason}`);
      this.#reason = reason;
      if (this.#online) {
        this.#online = false;
        this.#offlineSince = ts;
        this.#sink?.event({ kind: 'camera.offline', ts, data: { reason, onvifReachable: !onvifProblem, rtspReachable: !rtspProblem } });
      }
    } else if (!this.#online) {
      this.#online = true;
      this.#reason = undefined;
      const offlineSec = Math.round((ts - this.#offlineSince) / 1000);
      this.#log.info({ offlineSec }, `${this.#label}: reachable again (ONVIF and RTSP)`);
      this.#sink?.event({ kind: 'camera.online', ts, data: { offlineSec } });
      // Motion and tamper events matter most right after an outage: resubscribe now, not at the end of the back-off.
      this.#events?.retryNow();
    }

    if (frozen && !this.#frozen) {
      const sinceTs = this.#snapshots[0].ts;
      this.#frozenSince = sinceTs;
      this.#log.error({ sinceTs, checks: this.#snapshots.length }, `${this.#label}: picture frozen (${this.#snapshots.length} identical snapshots)`);
      this.#sink?.event({ kind: 'camera.frozen', ts, data: { sinceTs, stream: 'main', checks: this.#snapshots.length } });
    } else if (!frozen && this.#frozen && problems.length === 0) {
      // Usable again: camera.online is what ends a video-lost-or-frozen alarm. (Going offline while frozen needs nothing here: camera.online follows when it is back.)
      const frozenSec = Math.round((ts - this.#frozenSince) / 1000);
      this.#log.info({ frozenSec }, `${this.#label}: picture moving again`);
      this.#sink?.event({ kind: 'camera.online', ts, data: { reason: 'pictureMoving', frozenSec } });
    }
    this.#frozen = frozen;
  }

  // ------------------------------------------------------------------ commands

  async execute(command: Command): Promise<CommandOutcome> {
    const session = this.#session;
    if (!session) return { result: 'error', message: `${this.#label} is not connected: ${this.#connectProblem ?? 'connecting'}` };
    const params = command.params ?? {};
    try {
      switch (command.name) {
        case 'camera.snapshot':
          return await this.#snapshot(session);
        case 'camera.clip':
          return await this.#clip(session, params.seconds as number);
        case 'camera.ptz':
          return await this.#ptz(session, params as { pan: number; tilt: number; zoom: number });
        default:
          return { result: 'unsupported', message: `${command.name} is not a camera command` };
      }
    } catch (err) {
      return { result: 'error', message: describeOnvifError(err) };
    }
  }

  async #snapshot(session: CameraSession): Promise<CommandOutcome> {
    const capturedAt = Date.now();
    const { snapshotUri, streamUri } = session;
    const snapshot = await takeSnapshot({
      rtspUrl: streamUri ? this.#rtspWithCredentials(streamUri) : undefined,
      fetchSnapshotUri: snapshotUri
        ? async ({ signal, timeoutMs, maxBytes }) => (await getWithDigest(snapshotUri, { ...this.#httpOptions(timeoutMs), signal: AbortSignal.any([signal, this.#stopping.signal]), maxBytes })).body
        : undefined,
      ffmpegPath: this.#config.ffmpegPath,
      signal: this.#stopping.signal,
      redact: [this.#config.password],
      maxBytes: MAX_MEDIA_BYTES,
    });
    if (snapshot.problems.rtsp && snapshot.source !== 'rtsp') this.#log.warn(`${this.#label}: no frame from RTSP (${snapshot.problems.rtsp}); the snapshot came from the snapshot URI`);
    const { jpeg, source, width, height } = snapshot;
    return { result: 'ok', data: { contentType: 'image/jpeg', image: jpeg.toString('base64'), width, height, capturedAt, source } };
  }

  async #clip(session: CameraSession, seconds: number): Promise<CommandOutcome> {
    if (!session.streamUri) return { result: 'error', message: 'the camera gave no RTSP stream URI' };
    const capturedAt = Date.now();
    const clip = await recordRtspClip(this.#rtspWithCredentials(session.streamUri), seconds, {
      ffmpegPath: this.#config.ffmpegPath,
      signal: this.#stopping.signal,
      redact: [this.#config.password],
    });
    if (clip.length > MAX_MEDIA_BYTES) {
      return { result: 'error', message: `a ${seconds} s clip is ${clip.length} bytes, over the ${MAX_MEDIA_BYTES} bytes an acknowledgement can carry; ask for fewer seconds` };
    }
    return { result: 'ok', data: { contentType: 'video/mp4', clip: clip.toString('base64'), seconds, capturedAt } };
  }

  async #ptz(session: CameraSession, target: { pan: number; tilt: number; zoom: number }): Promise<CommandOutcome> {
    const ptz = session.device.services.ptz;
    if (!ptz) return { result: 'unsupported', message: `${this.#label} has no PTZ service` };
    await withTimeout(ptz.absoluteMove({ ProfileToken: session.profileToken, Position: { x: target.pan, y: target.tilt, z: target.zoom } }), 5000, 'ONVIF AbsoluteMove timed out after 5000 ms');
    // Where the head is now, as the camera says; the target if it does not say.
    let reached = target;
    try {
      const status = (await withTimeout(ptz.getStatus({ ProfileToken: session.profileToken }), 3000)).data as {
        GetStatusResponse?: { PTZStatus?: { Position?: { PanTilt?: { $?: { x?: string; y?: string } }; Zoom?: { $?: { x?: string } } } } };
      };
      const position = status?.GetStatusResponse?.PTZStatus?.Position;
      const pan = Number(position?.PanTilt?.$?.x);
      const tilt = Number(position?.PanTilt?.$?.y);
      const zoom = Number(position?.Zoom?.$?.x);
      if ([pan, tilt, zoom].every(Number.isFinite)) reached = { pan, tilt, zoom };
    } catch {
      // GetStatus is optional for a PTZ node; the move itself was accepted.
    }
    return { result: 'ok', data: reached };
  }

  #httpOptions(timeoutMs: number) {
    return { username: this.#config.user, password: this.#config.password, timeoutMs, signal: this.#stopping.signal };
  }

  /** The stream URL with credentials, for ffmpeg only (never logged: ffmpeg errors are redacted). */
  #rtspWithCredentials(streamUri: string): string {
    const url = new URL(streamUri);
    url.username = this.#config.user;
    url.password = this.#config.password;
    return url.toString();
  }
}
