import type { MetricDefinition } from '@warden/protocols';
import type { CapabilityBlock } from './device-definition.js';

/**
 * Capability blocks, the vocabulary device definitions are written in.
 * Units are UCUM codes ("Cel", "kPa", "m3", "kWh"), as the protocol asks.
 */

interface MetricOptions {
  name?: string;
  description?: string;
  min?: number;
  max?: number;
}

function metric(definition: MetricDefinition): CapabilityBlock {
  return { metrics: [Object.fromEntries(Object.entries(definition).filter(([, v]) => v !== undefined)) as MetricDefinition] };
}

/** Any number with a unit. */
export function numeric(options: MetricOptions & { name: string; unit?: string }): CapabilityBlock {
  return metric({ type: 'number', ...options });
}

export function temperature(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'temperature', unit: 'Cel', ...options });
}

export function humidity(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'humidity', unit: '%', description: 'Relative humidity', min: 0, max: 100, ...options });
}

export function pressure(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'pressure', unit: 'kPa', ...options });
}

export function current(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'current', unit: 'A', min: 0, ...options });
}

export function power(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'power', unit: 'kW', description: 'Active power', min: 0, ...options });
}

export function level(options: MetricOptions = {}): CapabilityBlock {
  return numeric({ name: 'level', unit: '%', min: 0, max: 100, ...options });
}

/** A register that only grows (energy, volume, run hours, door cycles): consumption is a difference. */
export function counter(options: MetricOptions & { name: string; unit?: string }): CapabilityBlock {
  return metric({ type: 'number', cumulative: true, min: 0, ...options });
}

/** Running feedback of a motor; its changes are `equipment.started` / `equipment.stopped` events. */
export function running(options: MetricOptions = {}): CapabilityBlock {
  const name = options.name ?? 'running';
  return {
    ...metric({ type: 'boolean', description: 'Motor running feedback', ...options, name }),
    events: [
      {
        metric: name,
        detect: ({ previous, value }) =>
          previous === false && value === true ? { kind: 'equipment.started' } : previous === true && value === false ? { kind: 'equipment.stopped' } : undefined,
      },
    ],
  };
}

/**
 * A detector's alarm contact; raising and clearing are `sensor.alarm` /
 * `sensor.alarmCleared` with `data.type` (smoke, leak, gas, intrusion...) as
 * PROTOCOL.md §9 has it.
 */
export function alarm(options: MetricOptions & { name: string; alarmType?: string }): CapabilityBlock {
  const { alarmType, ...definition } = options;
  const type = alarmType ?? options.name;
  return {
    ...metric({ type: 'boolean', ...definition }),
    events: [
      {
        metric: options.name,
        detect: ({ previous, value }) =>
          previous === false && value === true
            ? { kind: 'sensor.alarm', data: { type, value } }
            : previous === true && value === false
              ? { kind: 'sensor.alarmCleared', data: { type } }
              : undefined,
      },
    ],
  };
}

/**
 * A status word; entering and leaving one of `faultValues` are
 * `equipment.fault` / `equipment.faultCleared`, with `code` (`status=fault`),
 * `message` and `severity` as PROTOCOL.md §9 has them.
 */
export function status(
  options: MetricOptions & { values: readonly string[]; faultValues: readonly string[]; severity?: 'low' | 'medium' | 'high' | 'critical' },
): CapabilityBlock {
  const name = options.name ?? 'status';
  const faulty = (v: unknown) => typeof v === 'string' && options.faultValues.includes(v);
  return {
    ...metric({ type: 'string', name, description: options.description ?? `One of: ${options.values.join(', ')}` }),
    events: [
      {
        metric: name,
        detect: ({ previous, value }) => {
          if (!faulty(previous) && faulty(value)) {
            return { kind: 'equipment.fault', data: { code: `${name}=${String(value)}`, message: `${name} is ${String(value)}`, severity: options.severity ?? 'high' } };
          }
          if (faulty(previous) && !faulty(value)) return { kind: 'equipment.faultCleared', data: { code: `${name}=${String(previous)}` } };
          return undefined;
        },
      },
    ],
  };
}

/**
 * A set-point: a metric reporting the current target, writable by the
 * `setpoint` command within [min, max] (the birth carries the range).
 */
export function setpoint(options: { name: string; unit: string; min: number; max: number; description?: string }): CapabilityBlock {
  const { name, unit, min, max } = options;
  return {
    ...numeric({ name, unit, min, max, description: options.description ?? 'Writable with the setpoint command' }),
    setpoints: [{ metric: name, min, max }],
  };
}
