import type { AdapterConfig } from '../config/agent-config.schema.js';
import type { AdapterFactory } from './device-adapter.js';
import { createSimulatedAdapter } from './simulated.adapter.js';

/** Adapter factories by the `adapter.kind` of a device config. */
export const adapterFactories: Record<AdapterConfig['kind'], AdapterFactory> = {
  simulated: createSimulatedAdapter,
};

/** The default factory: picks by kind. */
export const createAdapter: AdapterFactory = (device, context) => adapterFactories[device.adapter.kind](device, context);
