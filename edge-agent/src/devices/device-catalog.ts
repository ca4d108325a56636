import type { DeviceDefinition } from './device-definition.js';
import { camera } from './kinds/camera.device.js';
import { climateSensor } from './kinds/climate-sensor.device.js';
import { door } from './kinds/door.device.js';
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
  camera,
  door,
} as const satisfies Record<string, DeviceDefinition>;

export type DeviceType = keyof typeof deviceCatalog;
export const deviceTypes = Object.keys(deviceCatalog) as [DeviceType, ...DeviceType[]];

/** Devices reached over ONVIF (an IP camera, a door of a Profile C controller): configured by address, not by a polled adapter. */
export const onvifDeviceTypes = ['camera', 'door'] as const satisfies readonly DeviceType[];
export type OnvifDeviceType = (typeof onvifDeviceTypes)[number];

/** Equipment read by polling an adapter (simulated today; Modbus/BACnet tomorrow). */
export type EquipmentType = Exclude<DeviceType, OnvifDeviceType>;
export const equipmentTypes = deviceTypes.filter((t): t is EquipmentType => !(onvifDeviceTypes as readonly string[]).includes(t)) as [EquipmentType, ...EquipmentType[]];
