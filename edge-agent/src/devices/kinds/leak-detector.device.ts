import { alarm } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

export const leakDetector = defineDevice('sensor.leak', alarm({ name: 'leak', description: 'Water on the floor' }));
