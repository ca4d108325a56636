import { z } from 'zod';
import { faultApplies, modelNames, type ModelName } from '../faults/fault-catalog.js';
import {
  climateParamsSchema,
  detectorParamsSchema,
  deviceIdSchema,
  electricityMeterParamsSchema,
  levelParamsSchema,
  liftParamsSchema,
  pumpParamsSchema,
  scenarioStepSchema,
  waterMeterParamsSchema,
} from '../simulation/simulated-device.schema.js';

/**
 * An estate in one file: the site, its buildings and floors, the devices in
 * each building with their model parameters, and an optional scripted
 * scenario. Everything else (seeds per device, agent configs) is derived.
 */

/** Floors are labels ("B1", "12", "R"); numbers are accepted and turned into labels. */
const floorLabel = z.union([z.string().min(1).max(32), z.number().int()]).transform(String);

const deviceCommon = {
  id: deviceIdSchema,
  name: z.string().min(1).max(128),
  floor: floorLabel.optional(),
  location: z.string().max(256).optional(),
  model: z.string().max(128).optional(),
  manufacturer: z.string().max(128).optional(),
  /** How often the edge agent reads it; defaults per type (see defaultPollMs). */
  pollMs: z.number().int().min(50).max(3_600_000).optional(),
};

/** Security zone (alarm/arming zone) of a camera or door, e.g. "a-lobby". */
const zone = z.string().min(1).max(128);

/**
 * An ONVIF camera (played by a CameraSimulator in the demo). `covers`: the
 * doors of the same building its view covers; the hub takes their alarms'
 * evidence from this camera.
 */
export const cameraParamsSchema = z.strictObject({
  covers: z.array(deviceIdSchema).max(32).optional(),
  zone: zone.optional(),
});

/** A door of an ONVIF Profile C access controller (a DoorControllerSimulator in the demo). */
export const doorParamsSchema = z.strictObject({
  zone: zone.optional(),
});

export const estateDeviceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pump'), ...deviceCommon, params: pumpParamsSchema }),
  z.strictObject({ type: z.literal('sensor.level'), ...deviceCommon, params: levelParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('sensor.temperature'), ...deviceCommon, params: climateParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('meter.water'), ...deviceCommon, params: waterMeterParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('meter.electricity'), ...deviceCommon, params: electricityMeterParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('lift'), ...deviceCommon, params: liftParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('sensor.smoke'), ...deviceCommon, params: detectorParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('sensor.leak'), ...deviceCommon, params: detectorParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('camera'), ...deviceCommon, params: cameraParamsSchema.prefault({}) }),
  z.strictObject({ type: z.literal('door'), ...deviceCommon, params: doorParamsSchema.prefault({}) }),
]);
export type EstateDevice = z.output<typeof estateDeviceSchema>;
/** Devices played by the signal simulation (everything but cameras and doors). */
export type SimulatedEstateDevice = Extract<EstateDevice, { type: ModelName }>;
/** Devices reached over ONVIF: cameras and doors. */
export type OnvifEstateDevice = Extract<EstateDevice, { type: 'camera' | 'door' }>;

export function isSimulatedEstateDevice(device: EstateDevice): device is SimulatedEstateDevice {
  return (modelNames as readonly string[]).includes(device.type);
}

export const buildingSchema = z.strictObject({
  id: deviceIdSchema,
  name: z.string().min(1).max(128),
  /** Floors above ground; numbered 1..floors. */
  floors: z.number().int().min(1).max(200),
  /** Floors below ground, labelled B1..Bn. */
  basements: z.number().int().min(0).max(10).default(0),
  devices: z.array(estateDeviceSchema).min(1),
});
export type Building = z.output<typeof buildingSchema>;

export const estateSchema = z
  .strictObject({
    site: z.strictObject({ id: deviceIdSchema, name: z.string().min(1).max(128) }),
    /** Root of every device seed: one number makes the whole estate repeatable. */
    seed: z.number().int().default(1),
    /** UTC offset in minutes (China: 480); drives the daily curves. */
    utcOffsetMin: z.number().int().min(-720).max(840).default(480),
    buildings: z.array(buildingSchema).min(1),
    scenario: z.array(scenarioStepSchema).default([]),
  })
  .superRefine((estate, ctx) => {
    const buildingIds = new Set<string>();
    const devices = new Map<string, { type: EstateDevice['type']; building: string }>();
    estate.buildings.forEach((b, bi) => {
      if (buildingIds.has(b.id)) ctx.addIssue({ code: 'custom', path: ['buildings', bi, 'id'], message: `duplicate building id "${b.id}"` });
      buildingIds.add(b.id);
      b.devices.forEach((d, di) => {
        // Estate-wide unique ids let a scenario name a device without its building.
        if (devices.has(d.id)) ctx.addIssue({ code: 'custom', path: ['buildings', bi, 'devices', di, 'id'], message: `duplicate device id "${d.id}" (device ids are unique across the estate)` });
        else devices.set(d.id, { type: d.type, building: b.id });
      });
    });
    estate.buildings.forEach((b, bi) => {
      b.devices.forEach((d, di) => {
        if (d.type !== 'camera') return;
        d.params.covers?.forEach((covered, ci) => {
          const door = devices.get(covered);
          if (!door || door.type !== 'door' || door.building !== b.id) {
            ctx.addIssue({ code: 'custom', path: ['buildings', bi, 'devices', di, 'params', 'covers', ci], message: `"${covered}" is not a door in building ${b.id}` });
          }
        });
      });
    });
    estate.buildings.forEach((b, bi) => {
      b.devices.forEach((d, di) => {
        if (d.type !== 'pump') return;
        const tank = devices.get(d.params.tank);
        if (!tank || tank.type !== 'sensor.level' || tank.building !== b.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['buildings', bi, 'devices', di, 'params', 'tank'],
            message: `"${d.params.tank}" is not a sensor.level device in building ${b.id}`,
          });
        }
      });
    });
    estate.scenario.forEach((step, si) => {
      const device = devices.get(step.device);
      if (!device) ctx.addIssue({ code: 'custom', path: ['scenario', si, 'device'], message: `unknown device "${step.device}"` });
      else if (device.type === 'camera' || device.type === 'door') {
        ctx.addIssue({ code: 'custom', path: ['scenario', si, 'device'], message: scriptedOnvifMessage(step.device, device.type) });
      } else if (!faultApplies(device.type, step.fault)) {
        ctx.addIssue({ code: 'custom', path: ['scenario', si, 'fault'], message: `fault "${step.fault}" does not apply to ${step.device} (a ${device.type})` });
      }
    });
  });

export type Estate = z.output<typeof estateSchema>;
export type EstateInput = z.input<typeof estateSchema>;

/** A scenario on its own (a separate file): a list of steps, or `{ scenario: [...] }`. */
export const scenarioFileSchema = z.union([z.array(scenarioStepSchema), z.strictObject({ scenario: z.array(scenarioStepSchema) }).transform((f) => f.scenario)]);

/** Scripted faults drive the signal simulation; cameras and doors have their own simulators. */
export function scriptedOnvifMessage(device: string, type: 'camera' | 'door'): string {
  return `${device} is a ${type}: scripted faults apply to simulated equipment; inject ${type} faults through its simulator (POST {admin}/fault)`;
}

/**
 * Default read interval per device type: fast for rotating plant, slower for
 * rooms and meters; a camera's health check and a door's state poll (its
 * events come at once, by PullPoint).
 */
export const defaultPollMs: Record<EstateDevice['type'], number> = {
  pump: 2000,
  'sensor.level': 5000,
  'sensor.temperature': 10_000,
  'meter.water': 15_000,
  'meter.electricity': 15_000,
  lift: 2000,
  'sensor.smoke': 5000,
  'sensor.leak': 5000,
  camera: 10_000,
  door: 30_000,
};
