import type { Logger } from 'pino';
import type { Command, EventKind, MetricDefinition } from '@warden/protocols';
import type { CommandSpec, EventRule, MetricValue } from '../devices/device-definition.js';
import type { DeviceConfig } from '../config/agent-config.schema.js';
import type { Clock } from '../agent/clock.js';

/**
 * The seam between the agent and a device, whatever the transport: a
 * simulated model today, Modbus TCP/RTU, BACnet/IP or a vendor HTTP API
 * tomorrow. Polled devices implement `read`; devices that push (door
 * controllers, ONVIF events) also get a sink in `start`.
 */
export interface DeviceAdapter {
  readonly deviceId: string;
  /** Metrics, commands and event rules of the device (usually its catalog definition, plus transport extras). */
  describe(): DeviceDescription;
  /** Current values. Throw DeviceUnavailableError when the device does not answer. */
  read(now: number): Promise<Reading[]> | Reading[];
  /** Executes a command whose params already passed the CommandSpec schema. */
  execute?(command: Command, now: number): Promise<CommandOutcome> | CommandOutcome;
  /** Opens connections, subscriptions; `sink` takes pushed readings and events. */
  start?(sink: AdapterSink): Promise<void> | void;
  /** Releases everything start() took. */
  stop?(): Promise<void> | void;
}

export interface DeviceDescription {
  type: string;
  metrics: MetricDefinition[];
  commands: CommandSpec[];
  events: EventRule[];
  model?: string;
  manufacturer?: string;
  serial?: string;
}

export interface Reading {
  metric: string;
  value: MetricValue;
  /** Source timestamp if the device has one; else the read time. */
  ts?: number;
  quality?: 'good' | 'estimated' | 'bad';
}

export interface CommandOutcome {
  result: 'ok' | 'error' | 'rejected' | 'unsupported';
  message?: string;
  data?: Record<string, unknown>;
}

export interface AdapterSink {
  readings(readings: Reading[]): void;
  event(event: { kind: EventKind; ts?: number; data?: Record<string, unknown> }): void;
  /**
   * The device's description changed (nameplate read from a camera that was
   * unreachable at start): the agent describes it again and re-announces it.
   */
  redescribe(): void;
}

/** The device did not answer (timeout, no route, simulated offline). Not a bug: logged once per outage. */
export class DeviceUnavailableError extends Error {
  override name = 'DeviceUnavailableError';
}

/** What a factory gets besides the device's own config. */
export interface AdapterContext {
  /** Bound to the device. */
  logger: Logger;
  /** The agent's own logger, for what several devices share (a door controller's connection). */
  agentLogger: Logger;
  clock: Clock;
  /** All devices of the agent (a simulated pump needs its tank). */
  devices: readonly DeviceConfig[];
  /** The agent's start time; simulations and scenarios count from it. */
  startedAt: number;
  /**
   * One instance per agent under `key`, made on first use: what several
   * devices share (a simulation, later a Modbus gateway connection).
   */
  shared<T>(key: string, create: () => T): T;
}

export type AdapterFactory = (device: DeviceConfig, context: AdapterContext) => DeviceAdapter;
