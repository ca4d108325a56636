import { commandParamsSchemas, type CommandName, type MetricDefinition } from '@warden/protocols';
import type { CapabilityBlock, CommandSpec } from './device-definition.js';

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

/** A yes/no state the device reports (reachable, open, locked); events, if any, come from its adapter. */
export function flag(options: MetricOptions & { name: string }): CapabilityBlock {
  return metric({ type: 'boolean', ...options });
}

/** A command of PROTOCOL.md §10 with the protocol's own params schema. */
function protocolCommand(name: Exclude<CommandName, 'rebirth' | 'setpoint' | 'simulate.fault'>, extra: Omit<CommandSpec, 'name' | 'params'> = {}): CommandSpec {
  return { name, params: commandParamsSchemas[name], ...extra };
}

/**
 * What the agent watches on an IP camera (ONVIF and RTSP reachability, a
 * frozen picture); transitions are camera.offline / camera.online /
 * camera.frozen events raised by the camera's adapter, with their reason.
 */
export function cameraHealth(): CapabilityBlock {
  return {
    metrics: [
      ...flag({ name: 'onvifReachable', description: 'ONVIF device service answers with our credentials' }).metrics!,
      ...flag({ name: 'rtspReachable', description: 'RTSP DESCRIBE of the main stream succeeds' }).metrics!,
      ...flag({ name: 'pictureFrozen', description: 'Snapshot unchanged across consecutive health checks' }).metrics!,
    ],
  };
}

/** Evidence and control of a camera: snapshot, short clip, and (with a PTZ head) absolute moves. */
export function cameraControl(options: { ptz?: boolean } = {}): CapabilityBlock {
  return {
    commands: [
      protocolCommand('camera.snapshot', { description: 'A JPEG now' }),
      // Recording takes the clip's own length; ffmpeg's start-up and the upload come on top.
      protocolCommand('camera.clip', { description: 'A short H.264/MP4 clip from now', timeoutMs: (p) => Number(p.seconds) * 1000 + 15_000 }),
      ...(options.ptz === false ? [] : [protocolCommand('camera.ptz', { description: 'Absolute pan/tilt/zoom in the generic spaces' })]),
    ],
  };
}

/**
 * A door leaf with its contact and lock (ONVIF Door Control's
 * DoorPhysicalState and LockPhysicalState) and remote control: unlock (with
 * an optional relock time), lock, and a momentary access. Door events
 * (opened, forced, held open, granted, denied...) come from the controller
 * through the adapter.
 */
export function door(): CapabilityBlock {
  return {
    metrics: [
      ...flag({ name: 'open', description: 'Door contact: the leaf is open' }).metrics!,
      ...flag({ name: 'locked', description: 'Lock engaged' }).metrics!,
    ],
    commands: [
      protocolCommand('door.unlock', { description: 'Unlock; relock after durationSec if given' }),
      protocolCommand('door.lock', { description: 'Lock (ends an unlock)' }),
      protocolCommand('door.access', { description: 'Momentary release for one passage' }),
    ],
  };
}
