import { door as doorBlock } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** One door of an ONVIF Profile C access controller. */
export const door = defineDevice('door', doorBlock());
