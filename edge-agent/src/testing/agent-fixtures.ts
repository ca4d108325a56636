import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { MessageOf, TopicKind } from '@warden/protocols';
import { createAdapter } from '../adapters/adapter-registry.js';
import type { AdapterFactory } from '../adapters/device-adapter.js';
import { parseAgentConfig } from '../config/agent-config.loader.js';
import type { AgentConfig, AgentConfigInput } from '../config/agent-config.schema.js';
import type { TestBroker } from './test-broker.js';

/** A pino logger that prints only when LOG_LEVEL asks for it (debugging a failing test). */
export const testLogger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

let agentCounter = 0;

/** A unique agent id per test, so retained states and sessions never mix. */
export function uniqueAgentId(prefix = 'agent-t'): string {
  agentCounter += 1;
  return `${prefix}${process.pid}-${agentCounter}`;
}

const tempDirs: string[] = [];

export function tempDir(prefix = 'warden-agent-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A small plant: a tank with its pump, a meter and a leak detector, polled fast. */
export function testDevices(pollMs = 20): AgentConfigInput['devices'] {
  return [
    { id: 'tank-1', type: 'sensor.level', name: 'Tank', pollMs, adapter: { kind: 'simulated', model: 'sensor.level', seed: 11 } },
    { id: 'pump-1', type: 'pump', name: 'Pump 1', floor: 'B1', pollMs, adapter: { kind: 'simulated', model: 'pump', seed: 12, params: { tank: 'tank-1' } } },
    { id: 'em-1', type: 'meter.electricity', name: 'Meter', pollMs, adapter: { kind: 'simulated', model: 'meter.electricity', seed: 13 } },
    { id: 'leak-1', type: 'sensor.leak', name: 'Leak', pollMs, adapter: { kind: 'simulated', model: 'sensor.leak', seed: 14 } },
  ];
}

/** A config for a test agent against `broker` (fast reconnects, small batches). */
export function testConfig(url: string, overrides: Partial<AgentConfigInput> = {}): AgentConfig {
  return parseAgentConfig({
    site: 'test-site',
    agent: uniqueAgentId(),
    building: 'bldg-t',
    mqtt: { url, reconnectMinMs: 20, reconnectMaxMs: 100, keepaliveSec: 10 },
    queue: { dir: tempDir(), fsyncIntervalMs: 20 },
    batching: { maxPoints: 100, maxDelayMs: 20 },
    stopFlushMs: 3000,
    devices: testDevices(),
    ...overrides,
  });
}

export interface RecordedReading {
  device: string;
  metric: string;
  ts: number;
  value: unknown;
}

/** The default adapters, with every reading they hand the agent written down: the ground truth for delivery tests. */
export function recordingAdapters(into: RecordedReading[]): AdapterFactory {
  return (device, context) => {
    const adapter = createAdapter(device, context);
    return {
      ...adapter,
      async read(now) {
        const readings = await adapter.read(now);
        for (const r of readings) into.push({ device: device.id, metric: r.metric, ts: r.ts ?? now, value: r.value });
        return readings;
      },
    };
  };
}

type Decoded<K extends TopicKind> = { kind: K; message: MessageOf<K>; clientId?: string };

/** The valid messages of one kind for one agent, in arrival order. */
export function received<K extends TopicKind>(broker: TestBroker, agent: string, kind: K): Decoded<K>[] {
  return broker
    .decoded(`warden/v1/test-site/${agent}/`)
    .filter((m): m is Extract<typeof m, { ok: true }> => m.ok)
    .filter((m) => m.kind === kind) as unknown as Decoded<K>[];
}

/** Every data message (births, telemetry, events) for one agent, in arrival order. */
export function receivedData(broker: TestBroker, agent: string): Decoded<'deviceBirth' | 'telemetry' | 'event'>[] {
  return broker
    .decoded(`warden/v1/test-site/${agent}/`)
    .filter((m): m is Extract<typeof m, { ok: true }> => m.ok)
    .filter((m) => m.kind === 'deviceBirth' || m.kind === 'telemetry' || m.kind === 'event') as unknown as Decoded<'deviceBirth' | 'telemetry' | 'event'>[];
}

/** Keeps the first message per msgId, as the hub's de-duplication does. */
export function dedupe<T extends { message: { msgId: string } }>(messages: T[]): T[] {
  const seen = new Set<string>();
  return messages.filter((m) => !seen.has(m.message.msgId) && seen.add(m.message.msgId));
}

export const pointKey = (p: { device: string; metric: string; ts: number; value: unknown }) => `${p.device}|${p.metric}|${p.ts}|${String(p.value)}`;
