/**
 * The estate's cameras and doors brought to life: one CameraSimulator per
 * camera and one DoorControllerSimulator (a one-door Profile C panel) per
 * door, on ephemeral loopback ports with generated credentials. Their
 * addresses go to estateToAgentConfigs (`onvifEndpoints`), so the edge agents
 * reach them exactly as they would reach real devices.
 */
import { randomBytes } from 'node:crypto';
import { CameraSimulator } from '../camera/camera-simulator.js';
import type { SimLogger } from '../camera/sim-logger.js';
import { DoorControllerSimulator } from '../door/door-controller-simulator.js';
import { deriveSeed } from '../signals/seeded-noise.js';
import type { OnvifEndpoint } from './agent-configs.js';
import type { Estate } from './estate.schema.js';
import { onvifDevicesOf } from './estate-simulation.js';

export interface OnvifSimulatorOptions {
  /** Only this building's cameras and doors. */
  buildingId?: string;
  /** Address to bind (loopback by default: the simulators' admin API has no authentication). */
  host?: string;
  /**
   * Picture of every camera. Small and short by default, to keep the CPU low:
   * 320×180, 3 s loop, encoded once at start. Keep the loop length odd in
   * seconds with the default 10 s health check: the simulator's snapshot is
   * one JPEG per second of the loop, so a loop that divides the check interval
   * would show the agent the same JPEG at every check (a frozen picture).
   */
  camera?: { width?: number; height?: number; fps?: number; clipSeconds?: number; randomMotion?: { meanIntervalSec: number; durationSec?: number } };
  /** Card traffic at every door (seeded from the estate); `false` for none. Default: a swipe every 90 s on average, 5 % refused. */
  doorTraffic?: { meanSwipeIntervalSec: number; deniedRatio: number } | false;
  ffmpegPath?: string;
  logger?: (deviceId: string) => SimLogger;
}

export interface EstateOnvifSimulators {
  /** Device id → where it answers (for estateToAgentConfigs). */
  readonly endpoints: ReadonlyMap<string, OnvifEndpoint>;
  /** Camera device id → its simulator (faults: injectFault). */
  readonly cameras: ReadonlyMap<string, CameraSimulator>;
  /** Door device id → its controller and the door's token there (scenarios: controller.inject({ scenario, door: token })). */
  readonly doors: ReadonlyMap<string, { controller: DoorControllerSimulator; token: string }>;
  /** Stops every simulator. Idempotent. */
  stop(): Promise<void>;
}

const password = (): string => randomBytes(12).toString('base64url');

/** Starts a simulator for every camera and door of the estate; all or none (a failure stops the ones started). */
export async function startOnvifSimulators(estate: Estate, options: OnvifSimulatorOptions = {}): Promise<EstateOnvifSimulators> {
  const endpoints = new Map<string, OnvifEndpoint>();
  const cameras = new Map<string, CameraSimulator>();
  const doors = new Map<string, { controller: DoorControllerSimulator; token: string }>();
  const host = options.host ?? '127.0.0.1';
  const traffic = options.doorTraffic ?? { meanSwipeIntervalSec: 90, deniedRatio: 0.05 };
  const cam = options.camera ?? {};

  const starts = onvifDevicesOf(estate, options.buildingId).map(async ({ device }) => {
    const user = 'admin';
    const secret = password();
    const seed = deriveSeed(estate.seed, estate.site.id, device.id);
    const logger = options.logger?.(device.id);
    const location = device.location?.slice(0, 128);
    if (device.type === 'camera') {
      const sim = new CameraSimulator({
        name: device.id,
        username: user,
        password: secret,
        host,
        width: cam.width ?? 320,
        height: cam.height ?? 180,
        fps: cam.fps ?? 10,
        clipSeconds: cam.clipSeconds ?? 3,
        ...(cam.randomMotion ? { randomMotion: { seed, ...cam.randomMotion } } : {}),
        ...(location ? { location } : {}),
        ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
        ...(logger ? { logger } : {}),
      });
      cameras.set(device.id, sim);
      const { xaddr } = await sim.start();
      endpoints.set(device.id, { xaddr, user, password: secret });
    } else {
      const sim = new DoorControllerSimulator({
        name: device.id,
        username: user,
        password: secret,
        host,
        doors: [device.name.slice(0, 64)],
        ...(traffic ? { traffic: { seed, ...traffic } } : {}),
        ...(location ? { location } : {}),
        ...(logger ? { logger } : {}),
      });
      const { xaddr, doors: [door] } = await sim.start();
      doors.set(device.id, { controller: sim, token: door.token });
      endpoints.set(device.id, { xaddr, user, password: secret, doorToken: door.token });
    }
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= Promise.allSettled([...[...cameras.values()].map((c) => c.stop()), ...[...doors.values()].map((d) => d.controller.stop())]).then(() => undefined));

  const started = await Promise.allSettled(starts);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { endpoints, cameras, doors, stop };
}
