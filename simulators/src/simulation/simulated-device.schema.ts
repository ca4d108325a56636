import { z } from 'zod';
import { ID_PATTERN } from '@warden/protocols';
import { faultNames, type ModelName } from '../faults/fault-catalog.js';

/**
 * What a simulated device needs to come alive: its model, a seed and the
 * model's parameters. The same blocks are used in the estate file and, with
 * `kind: "simulated"`, as the adapter section of an edge-agent config.
 */

export const deviceIdSchema = z.string().regex(ID_PATTERN, 'an id of letters, digits, "_", "." or "-" (max 64), starting with a letter or digit');

/** One step of a scripted scenario: at `at` seconds after the start, `device` suffers `fault` for `durationSec`. */
export const scenarioStepSchema = z.strictObject({
  at: z.number().min(0),
  device: deviceIdSchema,
  fault: z.enum(faultNames),
  durationSec: z.number().positive(),
  note: z.string().max(256).optional(),
});
export type ScenarioStep = z.infer<typeof scenarioStepSchema>;

/** A scenario step bound to one device (the device is implied). */
export const deviceFaultStepSchema = scenarioStepSchema.omit({ device: true });
export type DeviceFaultStep = z.infer<typeof deviceFaultStepSchema>;

const percent = z.number().min(0).max(100);

export const pumpParamsSchema = z.strictObject({
  /** The tank (a `sensor.level` device) this pump fills; the tank's controller starts and stops it. */
  tank: deviceIdSchema,
  ratedFlowM3h: z.number().positive().default(15),
  ratedCurrentA: z.number().positive().default(22),
  /** Booster pumps hold a discharge pressure set-point (a VFD loop); changeable by the `setpoint` command. */
  pressureSetpointKPa: z.number().min(50).max(2000).default(450),
  /** Plant-room temperature; the motor runs ~30 K above it. */
  ambientC: z.number().min(-30).max(60).default(24),
  initialRunHours: z.number().min(0).default(0),
});

export const levelParamsSchema = z
  .strictObject({
    capacityM3: z.number().positive().default(12),
    /** Mean draw of the building (m³/h); the daily curve shapes it. */
    demandM3h: z.number().min(0).default(4),
    initialLevel: percent.default(70),
    /** Lead pump starts below this level... */
    startLevel: percent.default(40),
    /** ...the lag pump joins below this one... */
    lagStartLevel: percent.default(25),
    /** ...and all pumps stop at this one. */
    stopLevel: percent.default(90),
    /** Extra draw while a `leak` fault is active (m³/h). */
    leakM3h: z.number().min(0).default(6),
  })
  .refine((p) => p.lagStartLevel < p.startLevel && p.startLevel < p.stopLevel, {
    message: 'levels must satisfy lagStartLevel < startLevel < stopLevel',
    path: ['startLevel'],
  });

export const climateParamsSchema = z.strictObject({
  /** Indoor sensors swing little over a day; outdoor ones follow the weather. */
  indoor: z.boolean().default(true),
  baseC: z.number().min(-40).max(60).default(22),
  dailySwingC: z.number().min(0).max(30).optional(),
  baseHumidity: percent.default(55),
});

export const waterMeterParamsSchema = z.strictObject({
  /** Mean consumption per day (m³); a family flat uses about 0.5. */
  dailyM3: z.number().min(0).default(0.5),
  initialM3: z.number().min(0).default(0),
  /** Extra flow while a `leak` fault is active (m³/h). */
  leakM3h: z.number().min(0).default(0.12),
});

export const electricityMeterParamsSchema = z.strictObject({
  dailyKWh: z.number().min(0).default(10),
  initialKWh: z.number().min(0).default(0),
});

export const liftParamsSchema = z
  .strictObject({
    lowestFloor: z.number().int().default(1),
    /** Defaults to the building's top floor when built from an estate, else lowestFloor + 11. */
    highestFloor: z.number().int().optional(),
    /** Trips per hour at the busiest hour of the day. */
    peakTripsPerHour: z.number().min(0).default(40),
    secondsPerFloor: z.number().positive().default(2),
    doorOpenSec: z.number().positive().default(5),
    initialDoorCycles: z.number().int().min(0).default(0),
  })
  .refine((p) => p.highestFloor === undefined || p.highestFloor > p.lowestFloor, { message: 'highestFloor must be above lowestFloor', path: ['highestFloor'] });

export const detectorParamsSchema = z.strictObject({});

export const paramsSchemas = {
  pump: pumpParamsSchema,
  'sensor.level': levelParamsSchema,
  'sensor.temperature': climateParamsSchema,
  'meter.water': waterMeterParamsSchema,
  'meter.electricity': electricityMeterParamsSchema,
  lift: liftParamsSchema,
  'sensor.smoke': detectorParamsSchema,
  'sensor.leak': detectorParamsSchema,
} as const satisfies Record<ModelName, z.ZodType>;

export type ParamsOf<M extends ModelName> = z.output<(typeof paramsSchemas)[M]>;

const common = {
  seed: z.number().int(),
  /** UTC offset of the estate (minutes); drives the daily curves. China: 480. */
  utcOffsetMin: z.number().int().min(-720).max(840).default(480),
  /** Faults this device suffers, relative to the start of the simulation. */
  scenario: z.array(deviceFaultStepSchema).default([]),
};

/** One schema per model, each with `extra` fields in front (the edge agent adds `kind`). */
function modelSchemas<E extends z.ZodRawShape>(extra: E) {
  return [
    z.strictObject({ ...extra, model: z.literal('pump'), ...common, params: pumpParamsSchema }),
    z.strictObject({ ...extra, model: z.literal('sensor.level'), ...common, params: levelParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('sensor.temperature'), ...common, params: climateParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('meter.water'), ...common, params: waterMeterParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('meter.electricity'), ...common, params: electricityMeterParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('lift'), ...common, params: liftParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('sensor.smoke'), ...common, params: detectorParamsSchema.prefault({}) }),
    z.strictObject({ ...extra, model: z.literal('sensor.leak'), ...common, params: detectorParamsSchema.prefault({}) }),
  ] as const;
}

/** Options of one simulated device (without its id), one schema per model. */
export const simulatedModelSchemas = modelSchemas({});

/** Discriminated by `model`; a pump needs its tank, every other model can run on defaults. */
export const simulatedModelSchema = z.discriminatedUnion('model', simulatedModelSchemas);

/** Options a simulated device is built from (defaults applied). */
export type SimulatedModelOptions = z.output<typeof simulatedModelSchema>;

/**
 * The adapter block of an edge-agent device config for a simulated device:
 * the model options plus `kind: "simulated"`.
 */
export const simulatedAdapterSchema = z.discriminatedUnion('model', modelSchemas({ kind: z.literal('simulated') }));
export type SimulatedAdapterOptions = z.output<typeof simulatedAdapterSchema>;
export type SimulatedAdapterInput = z.input<typeof simulatedAdapterSchema>;

/** A simulated device: an id plus its model options. */
export type SimulatedDevice = { id: string } & SimulatedModelOptions;

/** Input form (defaults not yet applied), e.g. for building configs by hand. */
export type SimulatedModelInput = z.input<typeof simulatedModelSchema>;

/** Validates loose options into a SimulatedDevice, throwing a ZodError naming the field. */
export function parseSimulatedDevice(id: string, options: unknown): SimulatedDevice {
  return { id: deviceIdSchema.parse(id), ...(simulatedModelSchema.parse(options) as SimulatedModelOptions) };
}
