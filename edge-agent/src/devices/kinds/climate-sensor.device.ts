import { humidity, temperature } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** Room or outdoor temperature/humidity sensor. */
export const climateSensor = defineDevice('sensor.temperature', temperature({ description: 'Air temperature' }), humidity());
