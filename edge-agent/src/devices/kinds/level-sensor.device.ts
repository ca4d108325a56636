import { level } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** Tank level transmitter (hydrostatic or ultrasonic), in % of capacity. */
export const levelSensor = defineDevice('sensor.level', level({ description: 'Tank level' }));
