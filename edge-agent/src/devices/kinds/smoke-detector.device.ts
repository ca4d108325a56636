import { alarm } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

export const smokeDetector = defineDevice('sensor.smoke', alarm({ name: 'smoke', description: 'Smoke detected' }));
