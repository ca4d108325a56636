import type { CommandName } from '@warden/protocols';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CommandService } from '../commands/index.js';
import { requireOk } from '../commands/index.js';
import type { Database } from '../db/database.js';
import type { EventBus, HubEvents } from '../events/event-bus.js';
import { appendLiveEvent } from '../live/live-feed.js';
import * as repo from './evidence.repository.js';
import { camerasWatching, type SecurityDevice } from './registry.repository.js';
import { securityAudience } from './zone-schedule.service.js';

export interface EvidenceOptions {
  /** How long to wait for a snapshot: evidence is due within 2 s of the alarm. */
  snapshotTimeoutMs: number;
  /**
   * How much longer a snapshot that missed the deadline is still awaited; it is then
   * stored marked late (a guard still gets the picture). 0: a late snapshot is dropped.
   */
  lateSnapshotMs?: number;
  /**
   * An episode joining an incident that already has a snapshot from the same camera
   * captured within this many seconds links to it instead of asking for another,
   * near-identical one. 0: every episode gets its own.
   */
  reuseSnapshotSec?: number;
  /** Seconds of video asked of cameras that record clips; 0: none. */
  clipSeconds: number;
  /** At most this many cameras per alarm. */
  maxCameras?: number;
}

/** Recording starts at once or not at all; the answer takes the clip's length plus encoding and transfer. */
const CLIP_START_WITHIN_MS = 5_000;
const CLIP_OVERHEAD_MS = 20_000;
const DEFAULT_MAX_CAMERAS = 4;

const snapshotData = z.object({
  contentType: z.string().max(100),
  image: z.string().min(1),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  capturedAt: z.number().int().positive().optional(),
});
const clipData = z.object({
  contentType: z.string().max(100),
  clip: z.string().min(1),
  seconds: z.number().positive().optional(),
  capturedAt: z.number().int().positive().optional(),
});
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * What the bytes are, by their magic numbers. Evidence is served back with its content
 * type, so it must be what it claims: never HTML or script dressed up as an image.
 */
export function sniffMedia(bytes: Buffer): 'image/jpeg' | 'image/png' | 'video/mp4' | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(PNG_MAGIC)) return 'image/png';
  if (bytes.length > 12 && bytes.toString('latin1', 4, 8) === 'ftyp') return 'video/mp4';
  return undefined;
}

interface Failure {
  cameraId: number | null;
  cameraName: string | null;
  kind: repo.EvidenceKind;
  reason: string;
}

/**
 * Evidence for every new security alarm episode: a snapshot from each camera that saw
 * the place (the device itself, the cameras covering it, else the cameras of its zone),
 * stored with the episode within about the snapshot timeout, then a short clip from the
 * cameras that record them. A camera that cannot (offline, no answer, a bad image)
 * leaves an "evidence-failed" note on the alarm instead; nothing here ever fails the
 * alarm. A snapshot that misses the deadline is noted as such, still awaited a while,
 * and stored marked late with its own live event. Episodes of one incident share a
 * camera's snapshot taken seconds apart (linked, not taken again). Only the hub that
 * raised the episode hears its activation, so each episode's evidence is asked for once.
 */
export class EvidenceService {
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  /** Cameras recording a clip for this hub, until when: one clip covers every alarm meanwhile. */
  private readonly recording = new Map<number, number>();
  /**
   * Snapshots being taken for an incident, by incident and camera: an episode of the same
   * incident raised meanwhile (a break-in's alarms come within milliseconds) waits for
   * that picture instead of asking the camera again.
   */
  private readonly grabs = new Map<string, { raisedAt: number; evidence: Promise<number | undefined> }>();
  private off: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly commands: CommandService,
    private readonly logger: Logger,
    private readonly options: EvidenceOptions,
  ) {}

  async start(): Promise<void> {
    this.off = this.bus.on('alarm.changed', (e) => this.onAlarm(e));
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Resolves when every evidence collection under way has finished (tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private onAlarm(e: HubEvents['alarm.changed']): void {
    if (e.action !== 'activate' || !e.newEpisode || e.category !== 'security' || e.episodeId === null) return;
    this.track(this.collect(e.episodeId).catch((err: Error) => this.logger.error({ err: err.message, episode: e.episodeId }, 'evidence collection failed')));
  }

  private track(task: Promise<void>): void {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  /** Takes the evidence of one episode; exposed for tests and re-tries. */
  async collect(episodeId: number): Promise<void> {
    const ctx = await repo.episodeContext(this.db, episodeId);
    if (!ctx) return;
    const { cameras, how } = await camerasWatching(this.db, ctx.deviceId, this.options.maxCameras ?? DEFAULT_MAX_CAMERAS);
    const failures: Failure[] = [];
    if (!cameras.length) failures.push({ cameraId: null, cameraName: null, kind: 'snapshot', reason: 'no camera covers this device or its zone' });
    const stored = await this.snapshots(ctx, how, cameras, failures);
    if (this.abort.signal.aborted) return;
    await this.report(ctx, how, stored, failures);

    if (this.options.clipSeconds <= 0) return;
    const now = Date.now();
    const recorders = cameras.filter((c) => c.capabilities.includes('camera.clip') && c.online && (this.recording.get(c.id) ?? 0) < now);
    if (!recorders.length) return;
    for (const c of recorders) this.recording.set(c.id, now + this.options.clipSeconds * 1000);
    const clipFailures: Failure[] = [];
    const clips = await this.takeAll(ctx, recorders, 'clip', clipFailures);
    if (this.abort.signal.aborted) return;
    await this.report(ctx, how, clips, clipFailures);
  }

  /**
   * Each camera's snapshot, as far as it is there by the deadline. One still coming is
   * noted as missing the deadline and, when it comes, stored marked late and announced
   * on its own; one that fails after the deadline is only logged (the note stands).
   */
  private async snapshots(ctx: repo.EpisodeContext, how: string, cameras: SecurityDevice[], failures: Failure[]): Promise<number[]> {
    const deadlineMs = this.options.snapshotTimeoutMs;
    const deadlineAt = Date.now() + deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
      timer.unref();
    });
    const stored: number[] = [];
    try {
      await Promise.all(
        cameras.map(async (camera) => {
          const result = this.snapshotOf(ctx, camera, deadlineAt);
          const first = await Promise.race([result.then((id) => ({ id }), (err: Error) => ({ err })), deadline]);
          if (first !== 'deadline') {
            if ('err' in first) failures.push({ cameraId: camera.id, cameraName: camera.name, kind: 'snapshot', reason: first.err.message });
            else if (first.id !== undefined) stored.push(first.id);
            return;
          }
          const waiting = (this.options.lateSnapshotMs ?? 0) > 0;
          failures.push({
            cameraId: camera.id,
            cameraName: camera.name,
            kind: 'snapshot',
            reason: `camera.snapshot to ${camera.code}: no acknowledgement within ${deadlineMs} ms${waiting ? ' (a later one is still kept, marked late)' : ''}`,
          });
          this.track(this.lateSnapshot(ctx, how, camera, result));
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    return stored;
  }

  private async lateSnapshot(ctx: repo.EpisodeContext, how: string, camera: SecurityDevice, result: Promise<number | undefined>): Promise<void> {
    try {
      const id = await result;
      if (id === undefined || this.abort.signal.aborted) return;
      this.logger.warn({ episode: ctx.episodeId, camera: camera.id, evidence: id }, 'snapshot stored after the deadline, marked late');
      await this.report(ctx, how, [id], []);
    } catch (err) {
      this.logger.warn({ episode: ctx.episodeId, camera: camera.id, reason: (err as Error).message }, 'no late snapshot from a camera either');
    }
  }

  /**
   * The snapshot of one camera for an episode: the incident's own from that camera if it
   * has one from within the reuse window (or one being taken), linked; else a new one.
   */
  private async snapshotOf(ctx: repo.EpisodeContext, camera: SecurityDevice, deadlineAt: number): Promise<number | undefined> {
    const withinSec = this.options.reuseSnapshotSec ?? 0;
    if (ctx.incidentId === null || withinSec <= 0) return this.take(ctx, camera, 'snapshot', deadlineAt);
    const k = `${ctx.incidentId}:${camera.id}`;
    const raisedAt = ctx.raisedAt.getTime();
    const near = (at: number) => Math.abs(at - raisedAt) <= withinSec * 1000;
    const known = await repo.recentIncidentSnapshot(this.db, ctx.incidentId, camera.id, ctx.raisedAt, withinSec);
    if (known !== undefined) return this.linked(ctx, known);
    // No await between looking and registering (but for a failed grab's waiters): of concurrent episodes, one asks the camera.
    const inFlight = this.grabs.get(k);
    if (inFlight && near(inFlight.raisedAt)) {
      const shared = await inFlight.evidence.catch(() => undefined);
      if (shared !== undefined) return this.linked(ctx, shared);
      // That one failed: this episode tries for itself (the camera may be back).
    }
    const evidence = this.take(ctx, camera, 'snapshot', deadlineAt);
    const entry = { raisedAt, evidence };
    this.grabs.set(k, entry);
    try {
      return await evidence;
    } finally {
      if (this.grabs.get(k) === entry) this.grabs.delete(k);
    }
  }

  private async linked(ctx: repo.EpisodeContext, evidenceId: number): Promise<number> {
    await repo.linkEvidence(this.db, ctx.episodeId, evidenceId);
    this.logger.debug({ episode: ctx.episodeId, evidence: evidenceId }, "linked the incident's recent snapshot from the same camera");
    return evidenceId;
  }

  private async takeAll(ctx: repo.EpisodeContext, cameras: SecurityDevice[], kind: repo.EvidenceKind, failures: Failure[]): Promise<number[]> {
    const stored: number[] = [];
    await Promise.all(
      cameras.map(async (camera) => {
        try {
          const id = await this.take(ctx, camera, kind);
          if (id !== undefined) stored.push(id);
        } catch (err) {
          failures.push({ cameraId: camera.id, cameraName: camera.name, kind, reason: (err as Error).message });
        }
      }),
    );
    return stored;
  }

  /** `deadlineAt`: a snapshot acknowledged after it is stored marked late. */
  private async take(ctx: repo.EpisodeContext, camera: SecurityDevice, kind: repo.EvidenceKind, deadlineAt?: number): Promise<number | undefined> {
    const name: CommandName = kind === 'snapshot' ? 'camera.snapshot' : 'camera.clip';
    if (!camera.capabilities.includes(name)) throw new Error(`${camera.code} does not take ${kind}s (no ${name} in its birth)`);
    if (!camera.online) throw new Error(`${camera.code} is offline`);
    const seconds = this.options.clipSeconds;
    const outcome = requireOk(
      await this.commands.send({
        deviceId: camera.id,
        name,
        params: kind === 'clip' ? { seconds } : {},
        issuedBy: { userId: null, name: 'system' },
        reason: `evidence for alarm episode ${ctx.episodeId}`,
        // The agent must start within the deadline (expiresInMs); its answer is awaited for the late window too.
        timeoutMs: kind === 'snapshot' ? this.options.snapshotTimeoutMs + (this.options.lateSnapshotMs ?? 0) : seconds * 1000 + CLIP_OVERHEAD_MS,
        expiresInMs: kind === 'snapshot' ? this.options.snapshotTimeoutMs : CLIP_START_WITHIN_MS,
        signal: this.abort.signal,
      }),
    );
    const media = kind === 'snapshot' ? snapshotData.safeParse(outcome.data) : clipData.safeParse(outcome.data);
    if (!media.success) throw new Error(`${camera.code} answered ${name} without a usable ${kind}: ${media.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const encoded = 'image' in media.data ? media.data.image : media.data.clip;
    const declared = media.data.contentType.split(';')[0].trim().toLowerCase();
    if (!BASE64.test(encoded)) throw new Error(`${camera.code} sent a ${kind} that is not base64`);
    const bytes = Buffer.from(encoded, 'base64');
    const actual = sniffMedia(bytes);
    const expected = kind === 'snapshot' ? ['image/jpeg', 'image/png'] : ['video/mp4'];
    if (!actual || actual !== declared || !expected.includes(actual)) {
      throw new Error(`${camera.code} sent ${bytes.length} bytes declared ${declared} that are ${actual ?? 'not a known image or video format'}`);
    }
    const stored = await repo.insertEvidence(this.db, {
      episodeId: ctx.episodeId,
      incidentId: ctx.incidentId,
      cameraId: camera.id,
      commandId: outcome.id,
      kind,
      contentType: actual,
      bytes,
      width: 'width' in media.data ? (media.data.width ?? null) : null,
      height: 'height' in media.data ? (media.data.height ?? null) : null,
      seconds: 'seconds' in media.data && media.data.seconds !== undefined ? Math.round(media.data.seconds) : kind === 'clip' ? seconds : null,
      capturedAt: new Date(media.data.capturedAt ?? outcome.ackedAt.getTime()),
      late: deadlineAt !== undefined && outcome.ackedAt.getTime() > deadlineAt,
    });
    return stored?.id;
  }

  /** Failure notes on the alarm and one live event for the console, in one transaction. */
  private async report(ctx: repo.EpisodeContext, how: string, stored: number[], failures: Failure[]): Promise<void> {
    if (!stored.length && !failures.length) return;
    for (const f of failures) this.logger.warn({ episode: ctx.episodeId, camera: f.cameraId, kind: f.kind, reason: f.reason }, 'no evidence from a camera');
    const evidence = stored.length ? (await repo.listEvidence(this.db, { ids: stored })).map(repo.evidenceJson) : [];
    const liveId = await this.db.transaction(async (tx) => {
      for (const f of failures) {
        const note = f.cameraName ? `${f.kind} from ${f.cameraName}: ${f.reason}` : f.reason;
        await repo.noteEvidenceFailure(tx, ctx.alarmId, ctx.episodeId, note, { cameraId: f.cameraId, kind: f.kind, reason: f.reason });
      }
      return appendLiveEvent(tx, {
        type: 'alarm.evidence',
        buildingId: ctx.buildingId,
        audience: securityAudience,
        data: { alarmId: ctx.alarmId, episodeId: ctx.episodeId, incidentId: ctx.incidentId, deviceId: ctx.deviceId, cameras: how, evidence, failed: failures },
      });
    });
    this.bus.emit('live.appended', { lastId: liveId });
  }
}
