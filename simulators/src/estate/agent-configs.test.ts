import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoEstatePath } from '../index.js';
import { Simulation } from '../simulation/simulation.js';
import { parseSimulatedDevice } from '../simulation/simulated-device.schema.js';
import { estateToAgentConfigs, type OnvifEndpoint, type SimulatedAgentDeviceConfig } from './agent-configs.js';
import { loadEstate } from './estate-loader.js';
import { onvifDevicesOf, simulatedDevicesOf } from './estate-simulation.js';

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
    // Cameras and doors need an address; without one they are left out.
    expect(a.devices.map((d) => d.id)).toEqual(estate.buildings[0].devices.filter((d) => d.type !== 'camera' && d.type !== 'door').map((d) => d.id));
  });

  it('puts cameras and doors in at the addresses given, with their zone and covered doors', () => {
    const endpoints = new Map<string, OnvifEndpoint>(
      onvifDevicesOf(estate).map(({ device }, i) => [device.id, { xaddr: `http://127.0.0.1:${9000 + i}/onvif/device_service`, user: 'admin', password: `pw-${i}`, doorToken: 'Door_1' }]),
    );
    const [a] = estateToAgentConfigs(estate, { mqttUrl: 'mqtt://x', queueDir: '/q', onvifEndpoints: endpoints });
    expect(a.devices.map((d) => d.id)).toEqual(estate.buildings[0].devices.map((d) => d.id));
    const camera = a.devices.find((d) => d.id === 'a-cam-lobby');
    expect(camera).toMatchObject({ type: 'camera', zone: 'a-lobby', covers: ['a-door-lobby'], user: 'admin', healthIntervalMs: 10_000, xaddr: endpoints.get('a-cam-lobby')!.xaddr });
    expect(a.devices.find((d) => d.id === 'a-door-lobby')).toMatchObject({ type: 'door', zone: 'a-lobby', doorToken: 'Door_1', stateIntervalMs: 30_000 });

    // A camera whose door has no address keeps its place but covers nothing it cannot reach.
    const noDoor = new Map([...endpoints].filter(([id]) => id !== 'a-door-lobby'));
    const [a2] = estateToAgentConfigs(estate, { mqttUrl: 'mqtt://x', queueDir: '/q', onvifEndpoints: noDoor });
    expect(a2.devices.find((d) => d.id === 'a-cam-lobby')).not.toHaveProperty('covers');
    expect(a2.devices.some((d) => d.id === 'a-door-lobby')).toBe(false);
  });

  const simulated = (devices: readonly { type: string }[]) => devices.filter((d): d is SimulatedAgentDeviceConfig => 'adapter' in d);

  it('hands each device its scenario steps and fills lift floors from the building', () => {
    const pump3 = simulated(configs[1].devices).find((d) => d.id === 'pump-3')!;
    expect(pump3.adapter).toMatchObject({ kind: 'simulated', model: 'pump', scenario: [{ at: 30, fault: 'overheat', durationSec: 120 }] });
    const lift = simulated(configs[0].devices).find((d) => d.type === 'lift')!;
    expect(lift.adapter.params).toMatchObject({ highestFloor: 18 });
  });

  it('gives an agent the same signals as a whole-estate simulation', () => {
    const start = Date.UTC(2025, 3, 1, 0, 0, 0);
    const whole = new Simulation(simulatedDevicesOf(estate), { start });
    const b = configs[1];
    const agentSide = new Simulation(
      simulated(b.devices).map(({ id, adapter: { kind: _kind, ...options } }) => parseSimulatedDevice(id, options)),
      { start },
    );
    const t = start + 3_600_000;
    for (const d of simulated(b.devices)) expect(agentSide.sample(d.id, t)).toEqual(whole.sample(d.id, t));
  });

  it('scales poll intervals and leaves credentials out for an anonymous broker', () => {
    const [fast] = estateToAgentConfigs(estate, { mqttUrl: 'mqtt://x', queueDir: '/q', pollScale: 0.1 });
    expect(fast.mqtt.username).toBeUndefined();
    expect(simulated(fast.devices).find((d) => d.type === 'pump')!.pollMs).toBe(200);
  });
});
