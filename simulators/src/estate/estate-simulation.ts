import { deriveSeed } from '../signals/seeded-noise.js';
import type { SimulatedDevice } from '../simulation/simulated-device.schema.js';
import { isSimulatedEstateDevice, type Estate, type OnvifEstateDevice } from './estate.schema.js';

/**
 * The simulated devices of an estate (or of one building), with the same
 * seeds `estateToAgentConfigs` gives the agents, so a whole-estate
 * simulation and the per-building agents produce the same signals. Cameras
 * and doors are not part of it: they are ONVIF devices with simulators of
 * their own (see onvifDevicesOf).
 */
export function simulatedDevicesOf(estate: Estate, buildingId?: string): SimulatedDevice[] {
  const buildings = buildingId === undefined ? estate.buildings : estate.buildings.filter((b) => b.id === buildingId);
  if (buildingId !== undefined && buildings.length === 0) throw new Error(`estate ${estate.site.id} has no building ${buildingId}`);
  return buildings.flatMap((b) =>
    b.devices.filter(isSimulatedEstateDevice).map(
      (d) =>
        ({
          id: d.id,
          model: d.type,
          seed: deriveSeed(estate.seed, estate.site.id, d.id),
          utcOffsetMin: estate.utcOffsetMin,
          params: d.type === 'lift' ? { ...d.params, highestFloor: d.params.highestFloor ?? b.floors } : d.params,
          scenario: estate.scenario.filter((s) => s.device === d.id).map(({ device: _device, ...step }) => step),
        }) as SimulatedDevice,
    ),
  );
}

/** The cameras and doors of an estate (or of one building), each with its building: what needs an ONVIF simulator or a real device's address. */
export function onvifDevicesOf(estate: Estate, buildingId?: string): { building: Estate['buildings'][number]; device: OnvifEstateDevice }[] {
  return estate.buildings
    .filter((b) => buildingId === undefined || b.id === buildingId)
    .flatMap((building) => building.devices.filter((d): d is OnvifEstateDevice => d.type === 'camera' || d.type === 'door').map((device) => ({ building, device })));
}
