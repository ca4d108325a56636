import { counter, current, pressure, running, setpoint, temperature } from '../capability-blocks.js';
import { defineDevice } from '../device-definition.js';

/** Booster/transfer pump with a VFD holding an outlet pressure set-point. */
export const pump = defineDevice(
  'pump',
  running(),
  temperature({ name: 'motorTemp', description: 'Motor winding temperature' }),
  pressure({ name: 'outletPressure', description: 'Discharge pressure', min: 0 }),
  current({ description: 'Motor current' }),
  counter({ name: 'runHours', unit: 'h', description: 'Running hours (preventive maintenance by run-hours)' }),
  setpoint({ name: 'pressureSetpoint', unit: 'kPa', min: 100, max: 1600, description: 'Outlet pressure the VFD holds; writable with setpoint' }),
);
