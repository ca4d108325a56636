import { cameraControl, cameraHealth } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** An ONVIF IP camera (Profile S, with PTZ): health watched by the agent, evidence and moves on command. */
export const camera = defineDevice('camera', cameraHealth(), cameraControl({ ptz: true }));
