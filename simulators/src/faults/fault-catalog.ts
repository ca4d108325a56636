/**
 * The faults a simulated device can be made to suffer, and which device
 * models each applies to. `stuck` (the value freezes, a classic failed
 * transmitter or frozen register) and `offline` (the device stops answering)
 * apply to every model.
 */

export const faultNames = ['overheat', 'pressureLoss', 'breakdown', 'leak', 'smoke', 'stuck', 'offline'] as const;
export type FaultName = (typeof faultNames)[number];

export const modelNames = [
  'pump',
  'sensor.level',
  'sensor.temperature',
  'meter.water',
  'meter.electricity',
  'lift',
  'sensor.smoke',
  'sensor.leak',
] as const;
export type ModelName = (typeof modelNames)[number];

const universal: readonly FaultName[] = ['stuck', 'offline'];

/** Faults each model reacts to. */
export const faultsByModel: Record<ModelName, readonly FaultName[]> = {
  /** overheat: motor temperature climbs toward ~105 °C; pressureLoss: dry running/air lock, low outlet pressure and current; breakdown: tripped, will not run. */
  pump: ['overheat', 'pressureLoss', 'breakdown', ...universal],
  /** leak: a burst pipe downstream draws extra water from the tank. */
  'sensor.level': ['leak', ...universal],
  /** overheat: the room heats up (plant-room ventilation failure, fire). */
  'sensor.temperature': ['overheat', ...universal],
  /** leak: a constant extra flow (running cistern, burst pipe) on top of normal use. */
  'meter.water': ['leak', ...universal],
  'meter.electricity': [...universal],
  /** breakdown: the car stops at its floor with status "fault". */
  lift: ['breakdown', ...universal],
  'sensor.smoke': ['smoke', ...universal],
  'sensor.leak': ['leak', ...universal],
};

export function faultApplies(model: ModelName, fault: FaultName): boolean {
  return faultsByModel[model].includes(fault);
}
