import { z } from 'zod';
import type { Command } from '@warden/protocols';
import { DeviceOfflineError, Simulation, faultsByModel, parseSimulatedDevice, type FaultName } from '@warden/simulators';
import { deviceCatalog } from '../devices/device-catalog.js';
import type { CommandSpec } from '../devices/device-definition.js';
import type { DeviceConfig, EquipmentDeviceConfig } from '../config/agent-config.schema.js';
import { DeviceUnavailableError, type AdapterContext, type CommandOutcome, type DeviceAdapter, type DeviceDescription, type Reading } from './device-adapter.js';

type SimulatedDeviceConfig = EquipmentDeviceConfig & { adapter: { kind: 'simulated' } };

function isSimulated(d: DeviceConfig): d is SimulatedDeviceConfig {
  return d.type !== 'camera' && d.type !== 'door' && d.adapter.kind === 'simulated';
}

/**
 * One simulation per agent, shared by its simulated devices: a pump and its
 * tank are coupled and must be stepped together.
 */
function simulationFor(context: AdapterContext): Simulation {
  return context.shared('simulation', () => {
    const specs = context.devices
      .filter(isSimulated)
      .map(({ id, adapter: { kind: _kind, ...options } }) => parseSimulatedDevice(id, options));
    return new Simulation(specs, { start: context.startedAt });
  });
}

/** `simulate.fault` as PROTOCOL.md §10 has it, narrowed to the faults this model knows; `clear` ends them. */
function simulateFaultCommand(faults: readonly FaultName[]): CommandSpec {
  return {
    name: 'simulate.fault',
    description: `Inject a simulated fault (${faults.join(', ')}) or "clear"`,
    params: z.strictObject({
      fault: z.enum([...faults, 'clear'], { error: `a fault this device knows: ${[...faults, 'clear'].join(', ')}` }),
      durationSec: z.number().int().min(1).max(86_400).optional(),
    }),
  };
}

/** A device played by @warden/simulators: readings from its signal model, faults by command. */
export function createSimulatedAdapter(device: DeviceConfig, context: AdapterContext): DeviceAdapter {
  if (!isSimulated(device)) throw new Error(`device ${device.id} is not simulated`);
  const model = device.adapter.model;
  const definition = deviceCatalog[device.type];
  const sim = simulationFor(context);
  const description: DeviceDescription = {
    ...definition,
    commands: [...definition.commands, simulateFaultCommand(faultsByModel[model])],
    model: device.model ?? `Simulated ${model}`,
    manufacturer: device.manufacturer ?? 'Warden simulators',
  };

  return {
    deviceId: device.id,
    describe: () => description,

    read(now: number): Reading[] {
      let sample;
      try {
        sample = sim.sample(device.id, now);
      } catch (err) {
        if (err instanceof DeviceOfflineError) throw new DeviceUnavailableError(err.message);
        throw err;
      }
      return definition.metrics.filter((m) => m.name in sample).map((m) => ({ metric: m.name, value: sample[m.name] }));
    },

    execute(command: Command, now: number): CommandOutcome {
      const params = command.params ?? {};
      switch (command.name) {
        case 'setpoint':
          sim.setpoint(device.id, params.metric as string, params.value as number);
          return { result: 'ok', data: { metric: params.metric, value: params.value } };
        case 'simulate.fault': {
          if (params.fault === 'clear') return { result: 'ok', data: { fault: 'clear', ended: sim.clearFaults(device.id, now) } };
          const durationSec = params.durationSec as number | undefined;
          sim.injectFault(device.id, params.fault as FaultName, { at: now, durationSec });
          return { result: 'ok', data: { fault: params.fault, ...(durationSec ? { until: now + durationSec * 1000 } : {}) } };
        }
        default:
          return { result: 'unsupported', message: `${command.name} is not simulated` };
      }
    },
  };
}
