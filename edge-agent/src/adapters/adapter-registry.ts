import type { AdapterConfig } from '../config/agent-config.schema.js';
import type { OnvifDeviceType } from '../devices/device-catalog.js';
import type { AdapterFactory } from './device-adapter.js';
import { createOnvifCameraAdapter } from './camera-onvif.adapter.js';
import { createOnvifDoorAdapter } from './door-onvif.adapter.js';
import { createSimulatedAdapter } from './simulated.adapter.js';

/** Adapter factories by the `adapter.kind` of an equipment device config. */
export const adapterFactories: Record<AdapterConfig['kind'], AdapterFactory> = {
  simulated: createSimulatedAdapter,
};

/** Cameras and doors are configured by their ONVIF address; their adapter follows from the type. */
export const onvifAdapterFactories: Record<OnvifDeviceType, AdapterFactory> = {
  camera: createOnvifCameraAdapter,
  door: createOnvifDoorAdapter,
};

/** The default factory: by type for ONVIF devices, else by adapter kind. */
export const createAdapter: AdapterFactory = (device, context) =>
  device.type === 'camera' || device.type === 'door' ? onvifAdapterFactories[device.type](device, context) : adapterFactories[device.adapter.kind](device, context);
