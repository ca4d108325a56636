import { counter } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** A unit's water meter; billing reads differences of `volume`. */
export const waterMeter = defineDevice('meter.water', counter({ name: 'volume', unit: 'm3', description: 'Cumulative volume' }));
