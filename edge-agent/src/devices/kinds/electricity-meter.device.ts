import { counter, power } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** A unit's electricity meter; billing reads differences of `energy`. */
export const electricityMeter = defineDevice('meter.electricity', counter({ name: 'energy', unit: 'kWh', description: 'Cumulative active energy' }), power());
