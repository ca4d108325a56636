/**
 * The ONVIF camera adapter in a real agent, against a real CameraSimulator
 * (ONVIF SOAP with WS-Security, PullPoint, RTSP with Digest, snapshots) and a
 * real in-process MQTT broker: what the hub receives is what is asserted.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encode, type Command, type CommandAck, type DeviceEvent, type EventKind } from '@warden/protocols';
import { CameraSimulator, DoorControllerSimulator, type CameraEndpoints } from '@warden/simulators';
import { EdgeAgent } from '../agent/edge-agent.js';
import type { AgentConfig } from '../config/agent-config.schema.js';
import { received, removeTempDirs, testConfig } from '../testing/agent-fixtures.js';
import { TestBroker } from '../testing/test-broker.js';
import { waitFor } from '../testing/wait-for.js';
import { grabRtspFrame } from './camera-onvif.adapter.js';
import { runningFfmpegPids } from './onvif/ffmpeg-job.js';
import { getWithDigest } from './onvif/http-digest-client.js';
import { jpegInfo } from './onvif/media-checks.js';
import { takeSnapshot } from './onvif/rtsp-evidence.js';

const user = { username: 'admin', password: 'cam-secret' };
let broker: TestBroker;
let camera: CameraSimulator;
let cam: CameraEndpoints;
let panel: DoorControllerSimulator;
let panelXaddr: string;
const agents: EdgeAgent[] = [];

beforeAll(async () => {
  broker = await TestBroker.start();
  // Small and short, as in the demo; an odd loop length so no check interval lands on the same JPEG by chance.
  camera = new CameraSimulator({ name: 'lobby-cam', ...user, width: 320, height: 180, clipSeconds: 3 });
  panel = new DoorControllerSimulator({ name: 'lobby-panel', username: 'admin', password: 'door-secret', doors: ['Lobby door'] });
  [cam, { xaddr: panelXaddr }] = await Promise.all([camera.start(), panel.start()]);
});
afterEach(() => camera.clearFaults());
afterAll(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all([camera?.stop(), panel?.stop()]);
  await broker?.close();
  removeTempDirs();
});

/** Log lines as objects, to assert what an operator reads. */
function capturingLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, lines };
}

function cameraConfig(overrides: { password?: string; xaddr?: string } = {}): AgentConfig {
  return testConfig(broker.url, {
    devices: [
      { id: 'door-1', type: 'door', name: 'Lobby door', xaddr: panelXaddr, user: 'admin', password: 'door-secret', doorToken: 'Door_1' },
      {
        id: 'cam-1',
        type: 'camera',
        name: 'Lobby camera',
        floor: '1',
        zone: 'lobby',
        location: 'above the main entrance',
        covers: ['door-1'],
        xaddr: overrides.xaddr ?? cam.xaddr,
        user: user.username,
        password: overrides.password ?? user.password,
        // Three identical snapshots over 1.4 s: longer than the simulator shows one JPEG (1 s).
        healthIntervalMs: 700,
        frozenAfterChecks: 3,
      },
    ],
  });
}

async function startAgent(config: AgentConfig, logger: Logger): Promise<EdgeAgent> {
  const agent = new EdgeAgent(config, { logger });
  agents.push(agent);
  await agent.start();
  return agent;
}

function events(config: AgentConfig, kind: EventKind, since = 0): DeviceEvent[] {
  return received(broker, config.agent, 'event')
    .map((e) => e.message)
    .filter((e) => e.kind === kind && e.device === 'cam-1' && e.ts >= since);
}

function points(config: AgentConfig, metric: string, since = 0): { ts: number; value: unknown }[] {
  return received(broker, config.agent, 'telemetry')
    .flatMap((t) => t.message.points)
    .filter((p) => p.device === 'cam-1' && p.metric === metric && p.ts >= since);
}

function command(config: AgentConfig, name: Command['name'], params: Record<string, unknown> = {}): { id: string; sentAt: number } {
  const id = randomUUID();
  const out = encode('command', { site: config.site, agent: config.agent }, { v: 1, id, ts: Date.now(), name, device: 'cam-1', params, issuedBy: 'test' });
  void broker.publish(out.topic, out.payload);
  return { id, sentAt: Date.now() };
}

function ack(config: AgentConfig, id: string): () => CommandAck | undefined {
  return () => received(broker, config.agent, 'commandAck').find((a) => a.message.id === id)?.message;
}

describe('an ONVIF camera bridged by the edge agent', () => {
  let config: AgentConfig;
  let log: ReturnType<typeof capturingLogger>;

  beforeAll(async () => {
    config = cameraConfig();
    log = capturingLogger();
    await startAgent(config, log.logger);
    // Healthy and subscribed to its events before any test injects something.
    await waitFor(() => points(config, 'rtspReachable').some((p) => p.value === true), 10_000, 'a healthy camera');
    await waitFor(() => camera.state().subscriptions >= 1, 5000, 'the agent\'s PullPoint subscription');
  });

  it('announces the camera with its nameplate from ONVIF, its place, the door it covers, and its commands', () => {
    const birth = received(broker, config.agent, 'deviceBirth').find((b) => b.message.device.id === 'cam-1')!.message;
    expect(birth.device).toMatchObject({
      type: 'camera',
      name: 'Lobby camera',
      floor: '1',
      zone: 'lobby',
      location: 'above the main entrance',
      covers: ['door-1'],
      manufacturer: 'Warden Sim',
      model: 'WS-IPC-360',
    });
    expect(birth.device.serial).toMatch(/^[0-9A-F]{8}$/);
    expect(birth.capabilities).toEqual(['camera.snapshot', 'camera.clip', 'camera.ptz']);
    expect(birth.metrics.map((m) => [m.name, m.type])).toEqual([
      ['onvifReachable', 'boolean'],
      ['rtspReachable', 'boolean'],
      ['pictureFrozen', 'boolean'],
    ]);
    expect(birth.heartbeatSec).toBe(1);
    expect(points(config, 'onvifReachable').at(-1)?.value).toBe(true);
    expect(points(config, 'pictureFrozen').at(-1)?.value).toBe(false);
    // The camera's password is in no log line.
    expect(JSON.stringify(log.lines)).not.toContain(user.password);
  });

  it('turns the camera\'s motion events into camera.motionStart and camera.motionStop', async () => {
    const since = Date.now();
    camera.injectFault('motion', { durationSec: 0.5 });
    const stop = await waitFor(() => events(config, 'camera.motionStop', since)[0], 5000, 'camera.motionStop');
    const [start] = events(config, 'camera.motionStart', since);
    expect(start.data).toMatchObject({ zone: 'lobby', rule: 'MotionDetectorRule' });
    expect(stop.data).toMatchObject({ zone: 'lobby' });
    expect(stop.ts).toBeGreaterThanOrEqual(start.ts);
    expect(stop.seq).toBeGreaterThan(start.seq);
  });

  it('turns the camera\'s tamper event into camera.tamper', async () => {
    const since = Date.now();
    camera.injectFault('tamper', { durationSec: 0.3 });
    const tamper = await waitFor(() => events(config, 'camera.tamper', since)[0], 5000, 'camera.tamper');
    expect(tamper.data).toMatchObject({ detector: 'GlobalSceneChange', zone: 'lobby' });
  });

  it('answers camera.snapshot with a whole JPEG within 2 s, saying where it came from, and leaves no ffmpeg behind', async () => {
    const { id, sentAt } = command(config, 'camera.snapshot');
    const answer = await waitFor(ack(config, id), 2000, 'the snapshot ack');
    expect(Date.now() - sentAt).toBeLessThan(2000);
    expect(answer.result).toBe('ok');
    expect(answer.data).toMatchObject({ contentType: 'image/jpeg', width: 320, height: 180 });
    expect(['rtsp', 'snapshot-uri']).toContain(answer.data!.source);
    // Whichever source lost, its ffmpeg is killed.
    await waitFor(() => runningFfmpegPids().length === 0, 3000, 'no ffmpeg left running');
    const jpeg = Buffer.from(answer.data!.image as string, 'base64');
    expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);
    expect(answer.data!.capturedAt).toBeGreaterThanOrEqual(sentAt - 50);
  });

  it('answers camera.clip with an MP4 recorded from the RTSP stream, leaving no ffmpeg behind', async () => {
    const { id } = command(config, 'camera.clip', { seconds: 1 });
    const answer = await waitFor(ack(config, id), 15_000, 'the clip ack');
    expect(answer).toMatchObject({ result: 'ok', data: { contentType: 'video/mp4', seconds: 1 } });
    const mp4 = Buffer.from(answer.data!.clip as string, 'base64');
    expect(mp4.toString('latin1', 4, 8)).toBe('ftyp');
    expect(runningFfmpegPids()).toEqual([]);
  });

  it('moves the PTZ head with camera.ptz and reports the position reached', async () => {
    const { id } = command(config, 'camera.ptz', { pan: 0.25, tilt: -0.5, zoom: 0.75 });
    const answer = await waitFor(ack(config, id), 5000, 'the ptz ack');
    expect(answer).toMatchObject({ result: 'ok', data: { pan: 0.25, tilt: -0.5, zoom: 0.75 } });
    expect(camera.state().ptz).toMatchObject({ pan: 0.25, tilt: -0.5, zoom: 0.75 });
  });

  it('reports a frozen picture: pictureFrozen true and one camera.frozen event; camera.online when it moves again', async () => {
    const since = Date.now();
    camera.injectFault('frozen');
    const frozen = await waitFor(() => events(config, 'camera.frozen', since)[0], 6000, 'camera.frozen');
    expect(frozen.data).toMatchObject({ stream: 'main', checks: 3 });
    // The first identical snapshot may predate the fault: the simulator shows one JPEG for 1 s and the checks come
    // every 0.7 s, so the last two checks before the fault can both have seen the picture that froze. Never three:
    // it is no older than the second-to-last check before the fault, however long a check took under load.
    const checksBefore = points(config, 'pictureFrozen').filter((p) => p.ts < since).map((p) => p.ts).sort((a, b) => a - b);
    const secondToLastBefore = checksBefore.at(-2) ?? checksBefore.at(-1)!;
    expect(checksBefore.at(-1)).toBeGreaterThan(since - 5_000);
    expect(frozen.data!.sinceTs).toBeGreaterThanOrEqual(secondToLastBefore);
    await waitFor(() => points(config, 'pictureFrozen', since).some((p) => p.value === true), 3000, 'pictureFrozen true');
    camera.clearFaults();
    const cleared = Date.now();
    await waitFor(() => points(config, 'pictureFrozen', cleared + 800).some((p) => p.value === false), 5000, 'pictureFrozen false again');
    expect(events(config, 'camera.frozen', since)).toHaveLength(1);
    // What ends the hub's video-lost-or-frozen alarm: the camera is usable again.
    const moving = await waitFor(() => events(config, 'camera.online', cleared)[0], 3000, 'camera.online after the picture moves');
    expect(moving.data).toMatchObject({ reason: 'pictureMoving' });
    expect(moving.data!.frozenSec).toBeGreaterThanOrEqual(1);
    expect(moving.ts).toBeGreaterThan(frozen.ts);
    expect(events(config, 'camera.online', since)).toHaveLength(1);
    expect(events(config, 'camera.offline', since)).toEqual([]);
  });

  it('reports an unreachable camera as camera.offline with the reason, then camera.online', async () => {
    const since = Date.now();
    camera.injectFault('offline');
    const offline = await waitFor(() => events(config, 'camera.offline', since)[0], 5000, 'camera.offline');
    expect(offline.data).toMatchObject({ onvifReachable: false, rtspReachable: false });
    expect(offline.data!.reason).toMatch(/^ONVIF unreachable: .*; RTSP /);
    await waitFor(() => points(config, 'onvifReachable', since).some((p) => p.value === false), 3000, 'onvifReachable false');
    expect(log.lines.some((l) => l.level === 50 && l.msg.includes('camera "Lobby camera" (cam-1): ONVIF unreachable'))).toBe(true);

    camera.clearFaults();
    const online = await waitFor(() => events(config, 'camera.online', since)[0], 5000, 'camera.online');
    expect(online.data!.offlineSec).toBeGreaterThanOrEqual(0);
    await waitFor(() => points(config, 'rtspReachable', online.ts).some((p) => p.value === true), 3000, 'rtspReachable true again');
  });

  it('reports a malformed SOAP answer as a logged parse error and a health alarm, and goes on', async () => {
    const since = Date.now();
    camera.injectFault('malformed');
    const offline = await waitFor(() => events(config, 'camera.offline', since)[0], 5000, 'camera.offline');
    expect(offline.data).toMatchObject({ onvifReachable: false, rtspReachable: true });
    expect(offline.data!.reason).toMatch(/^ONVIF malformed SOAP answer \(HTTP 200, \d+ bytes, not well-formed XML\)/);
    expect(log.lines.filter((l) => l.level === 50 && l.msg.includes('camera "Lobby camera" (cam-1): ONVIF malformed SOAP answer'))).toHaveLength(1);
    camera.clearFaults();
    await waitFor(() => events(config, 'camera.online', since)[0], 5000, 'camera.online');
    expect(agents[0].status().running).toBe(true);
  });
});

describe('a camera with the wrong password', () => {
  it('logs one clear error naming the camera and the cause, reports onvifReachable false, and the agent runs on', async () => {
    const config = cameraConfig({ password: 'not-the-password' });
    const log = capturingLogger();
    const agent = await startAgent(config, log.logger);
    const offline = await waitFor(() => events(config, 'camera.offline')[0], 10_000, 'camera.offline');
    // Without ONVIF the stream's address is not known either.
    expect(offline.data!.reason).toBe('ONVIF wrong user or password (NotAuthorized): Sender not Authorized (ter:NotAuthorized); RTSP stream URI unknown until ONVIF answers');
    await waitFor(() => points(config, 'onvifReachable').length >= 2, 5000, 'two health checks');
    expect(points(config, 'onvifReachable').every((p) => p.value === false)).toBe(true);
    expect(points(config, 'rtspReachable').every((p) => p.value === false)).toBe(true);
    const errors = log.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/^camera "Lobby camera" \(cam-1\): ONVIF wrong user or password \(NotAuthorized\)/);
    expect(JSON.stringify(log.lines)).not.toContain('not-the-password');
    // Still announced, without what only ONVIF could tell.
    const birth = received(broker, config.agent, 'deviceBirth').find((b) => b.message.device.id === 'cam-1')!.message;
    expect(birth.device).not.toHaveProperty('model');
    expect(agent.status()).toMatchObject({ running: true, connected: true });
    // A snapshot cannot be had: a clear error, not a hang.
    const { id } = command(config, 'camera.snapshot');
    expect(await waitFor(ack(config, id), 2000, 'the snapshot ack')).toMatchObject({ result: 'error', message: expect.stringMatching(/not connected: wrong user or password/) });
  });
});

describe('a camera that is not there', () => {
  it('reports camera.offline with the network cause and keeps trying, without crashing the agent', async () => {
    // A port nobody listens on: connections are refused at once.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config = cameraConfig({ xaddr: `http://127.0.0.1:${port}/onvif/device_service` });
    const log = capturingLogger();
    const agent = await startAgent(config, log.logger);
    const offline = await waitFor(() => events(config, 'camera.offline')[0], 10_000, 'camera.offline');
    expect(offline.data!.reason).toMatch(new RegExp(`^ONVIF unreachable: cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    await waitFor(() => points(config, 'onvifReachable').length >= 2, 5000, 'two health checks');
    expect(log.lines.filter((l) => l.level === 50)).toHaveLength(1);
    expect(agent.status().running).toBe(true);
  });
});

describe('a camera already tampered with when the agent first subscribes', () => {
  it('sends camera.tamper once, marked initial, and not again when the subscription is made again', async () => {
    camera.injectFault('tamper');
    const config = cameraConfig();
    const log = capturingLogger();
    await startAgent(config, log.logger);
    const tamper = await waitFor(() => events(config, 'camera.tamper')[0], 10_000, 'camera.tamper for the camera found tampered');
    expect(tamper.data).toMatchObject({ detector: 'GlobalSceneChange', zone: 'lobby', initial: true });

    // Garbled answers lose the subscription; a motion event ends the pending long-poll so the next pull meets them.
    camera.injectFault('malformed', { durationSec: 2 });
    camera.injectFault('motion', { durationSec: 0.2 });
    await waitFor(() => log.lines.some((l) => l.msg.includes('event subscription lost')), 8000, 'the subscription lost');
    await waitFor(() => log.lines.some((l) => l.msg.includes('event subscription restored')), 15_000, 'the subscription restored');
    // Motion after the new subscription's Initialized batch: once it is here, that batch (tamper still true) was handled.
    const restoredAt = Date.now();
    camera.injectFault('motion', { durationSec: 0.2 });
    await waitFor(() => events(config, 'camera.motionStop', restoredAt)[0], 5000, 'motion after the resubscription');
    expect(events(config, 'camera.tamper')).toHaveLength(1);
  });
});

describe('an agent stopped while it records a clip', () => {
  it('kills the ffmpeg it started: none is left running', async () => {
    const config = cameraConfig();
    const agent = await startAgent(config, capturingLogger().logger);
    await waitFor(() => points(config, 'rtspReachable').some((p) => p.value === true), 10_000, 'a healthy camera');
    command(config, 'camera.clip', { seconds: 20 });
    const [pid] = await waitFor(() => (runningFfmpegPids().length > 0 ? runningFfmpegPids() : undefined), 5000, 'ffmpeg recording');
    await agent.stop();
    await waitFor(() => runningFfmpegPids().length === 0, 3000, 'no ffmpeg tracked');
    // Really gone, not just forgotten: signal 0 only checks that the process exists.
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('the snapshot: a frame from RTSP first, the snapshot URI standing by', () => {
  const rtspUrl = (password = user.password) => {
    const url = new URL(cam.rtsp);
    url.username = user.username;
    url.password = password;
    return url.toString();
  };
  const fetchSnapshotUri = ({ signal, timeoutMs, maxBytes }: { signal: AbortSignal; timeoutMs: number; maxBytes: number }) =>
    getWithDigest(cam.snapshot, { ...user, timeoutMs, signal, maxBytes }).then((r) => r.body);

  it('takes the frame from RTSP (source rtsp), in about one GOP plus the probe', async () => {
    const started = Date.now();
    // The snapshot URI is there, but the stream's frame is preferred for longer than any grab takes here.
    const snap = await takeSnapshot({ rtspUrl: rtspUrl(), fetchSnapshotUri, maxBytes: 1_000_000, rtspPreferredForMs: 10_000 });
    expect(snap.source).toBe('rtsp');
    // ~1.0 s idle, ~1.5 s at load 8, 2.25 s seen at load 20 on this 2-core box: the 2 s evidence bound is the agent's
    // answer (above, with the snapshot URI standing by), not a bare grab's; this bounds the grab well under its 5 s limit.
    expect(Date.now() - started).toBeLessThan(3500);
    expect({ width: snap.width, height: snap.height }).toEqual({ width: 320, height: 180 });
    expect(jpegInfo(snap.jpeg)).toEqual({ width: 320, height: 180 });
    expect(runningFfmpegPids()).toEqual([]);
  });

  it('falls back to the snapshot URI (source snapshot-uri) when RTSP fails, at once, with the password kept out', async () => {
    const started = Date.now();
    const snap = await takeSnapshot({ rtspUrl: rtspUrl('wrong-one'), fetchSnapshotUri, maxBytes: 1_000_000, rtspPreferredForMs: 10_000, redact: ['wrong-one'] });
    expect(snap.source).toBe('snapshot-uri');
    // Not after the RTSP preference window: a failed grab gives way as soon as it fails.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(jpegInfo(snap.jpeg)).toEqual({ width: 320, height: 180 });
    expect(snap.problems.rtsp).toMatch(/^ffmpeg failed \(exit \d+\): .*401/s);
    expect(snap.problems.rtsp).not.toContain('wrong-one');
    expect(runningFfmpegPids()).toEqual([]);
  });

  it('takes the snapshot URI\'s JPEG when the frame is slower than the preference window', async () => {
    const snap = await takeSnapshot({ rtspUrl: rtspUrl(), fetchSnapshotUri, maxBytes: 1_000_000, rtspPreferredForMs: 0 });
    expect(snap.source).toBe('snapshot-uri');
    await waitFor(() => runningFfmpegPids().length === 0, 3000, 'the losing grab killed');
  });

  it('says why when neither source gives a JPEG', async () => {
    const err = await takeSnapshot({ rtspUrl: rtspUrl('wrong-one'), maxBytes: 1_000_000, redact: ['wrong-one'] }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^no snapshot: RTSP ffmpeg failed .*; snapshot URI the camera gave no snapshot URI$/s);
  });

  it('kills the grab when stopped, leaving no ffmpeg behind', async () => {
    const stop = new AbortController();
    const pending = takeSnapshot({ rtspUrl: rtspUrl(), maxBytes: 1_000_000, signal: stop.signal });
    await waitFor(() => runningFfmpegPids().length > 0, 3000, 'ffmpeg started');
    stop.abort();
    await expect(pending).rejects.toThrow(/ffmpeg job cancelled/);
    expect(runningFfmpegPids()).toEqual([]);
  });
});

describe('the RTSP frame grab', () => {
  it('gets one whole JPEG from the stream with ffmpeg, and says why not without credentials', async () => {
    const url = new URL(cam.rtsp);
    url.username = user.username;
    url.password = user.password;
    const jpeg = await grabRtspFrame(url.toString(), { timeoutMs: 10_000 });
    expect(jpegInfo(jpeg)).toEqual({ width: 320, height: 180 });

    url.password = 'wrong-one';
    const err = await grabRtspFrame(url.toString(), { timeoutMs: 10_000, redact: ['wrong-one'] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^ffmpeg failed/);
    expect((err as Error).message).not.toContain('wrong-one');
    expect(runningFfmpegPids()).toEqual([]);
  });
});
