import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoEstatePath } from '../index.js';
import { Simulation } from '../simulation/simulation.js';
import { parseSimulatedDevice } from '../simulation/simulated-device.schema.js';
import { estateToAgentConfigs } from './agent-configs.js';
import { loadEstate } from './estate-loader.js';
import { simulatedDevicesOf } from './estate-simulation.js';

const estate = loadEstate(demoEstatePath);

describe('estateToAgentConfigs', () => {
  const configs = estateToAgentConfigs(estate, {
    mqttUrl: 'mqtt://broker:1883',
    credentials: (agent) => ({ username: agent, password: `secret-${agent}` }),
    queueDir: '/var/lib/warden',
  });

  it('makes one agent per building with its credentials and its own queue folder', () => {
    expect(configs.map((c) => c.agent)).toEqual(estate.buildings.map((b) => `agent-${b.id}`));
    const a = configs[0];
    expect(a).toMatchObject({
      site: 'riverside-gardens',
      building: 'Building A',
      mqtt: { url: 'mqtt://broker:1883', username: 'agent-bldg-a', password: 'secret-agent-bldg-a' },
      queue: { dir: join('/var/lib/warden', 'agent-bldg-a') },
    });
    expect(a.devices.map((d) => d.id)).toEqual(estate.buildings[0].devices.map((d) => d.id));
  });

  it('hands each device its scenario steps and fills lift floors from the building', () => {
    const pump3 = configs[1].devices.find((d) => d.id === 'pump-3')!;
    expect(pump3.adapter).toMatchObject({ kind: 'simulated', model: 'pump', scenario: [{ at: 30, fault: 'overheat', durationSec: 120 }] });
    const lift = configs[0].devices.find((d) => d.type === 'lift')!;
    expect(lift.adapter.params).toMatchObject({ highestFloor: 18 });
  });

  it('gives an agent the same signals as a whole-estate simulation', () => {
    const start = Date.UTC(2025, 3, 1, 0, 0, 0);
    const whole = new Simulation(simulatedDevicesOf(estate), { start });
    const b = configs[1];
    const agentSide = new Simulation(
      b.devices.map(({ id, adapter: { kind: _kind, ...options } }) => parseSimulatedDevice(id, options)),
      { start },
    );
    const t = start + 3_600_000;
    for (const d of b.devices) expect(agentSide.sample(d.id, t)).toEqual(whole.sample(d.id, t));
  });

  it('scales poll intervals and leaves credentials out for an anonymous broker', () => {
    const [fast] = estateToAgentConfigs(estate, { mqttUrl: 'mqtt://x', queueDir: '/q', pollScale: 0.1 });
    expect(fast.mqtt.username).toBeUndefined();
    expect(fast.devices.find((d) => d.type === 'pump')!.pollMs).toBe(200);
  });
});
