import type { DeviceDefinition } from './device-definition.js';
import { climateSensor } from './kinds/climate-sensor.device.js';
import { electricityMeter } from './kinds/electricity-meter.device.js';
import { leakDetector } from './kinds/leak-detector.device.js';
import { levelSensor } from './kinds/level-sensor.device.js';
import { lift } from './kinds/lift.device.js';
import { pump } from './kinds/pump.device.js';
import { smokeDetector } from './kinds/smoke-detector.device.js';
import { waterMeter } from './kinds/water-meter.device.js';

/** Every kind of device the agent knows, by its protocol type. */
export const deviceCatalog = {
  pump,
  'sensor.level': levelSensor,
  'sensor.temperature': climateSensor,
  'meter.water': waterMeter,
  'meter.electricity': electricityMeter,
  lift,
  'sensor.smoke': smokeDetector,
  'sensor.leak': leakDetector,
} as const satisfies Record<string, DeviceDefinition>;

export type DeviceType = keyof typeof deviceCatalog;
export const deviceTypes = Object.keys(deviceCatalog) as [DeviceType, ...DeviceType[]];
