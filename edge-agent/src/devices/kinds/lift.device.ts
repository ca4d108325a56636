import { counter, numeric, status } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

export const liftStatuses = ['idle', 'moving', 'doorOpen', 'fault'] as const;

/** Passenger lift: controller status, car position and the door-cycle wear counter. */
export const lift = defineDevice(
  'lift',
  status({ values: liftStatuses, faultValues: ['fault'] }),
  numeric({ name: 'floor', description: 'Floor the car is at' }),
  counter({ name: 'doorCycles', description: 'Door open/close cycles (maintenance by cycles)' }),
);
