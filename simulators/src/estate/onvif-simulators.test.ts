import { describe, expect, it } from 'vitest';
import { OnvifSoapClient } from '../camera/onvif-soap-client.js';
import { demoEstatePath } from '../index.js';
import { estateToAgentConfigs } from './agent-configs.js';
import { loadEstate } from './estate-loader.js';
import { startOnvifSimulators } from './onvif-simulators.js';

describe('startOnvifSimulators', () => {
  it('starts a simulator per camera and door of a building, answering ONVIF with the credentials it hands out', { timeout: 30_000 }, async () => {
    const estate = loadEstate(demoEstatePath);
    const sims = await startOnvifSimulators(estate, { buildingId: 'bldg-a', doorTraffic: false });
    try {
      expect([...sims.endpoints.keys()].sort()).toEqual(['a-cam-lobby', 'a-door-lobby']);
      expect(sims.doors.get('a-door-lobby')!.token).toBe('Door_1');
      expect(sims.endpoints.get('a-door-lobby')).toMatchObject({ user: 'admin', doorToken: 'Door_1' });
      const camera = sims.endpoints.get('a-cam-lobby')!;
      expect(camera.password).toMatch(/^[\w-]{16}$/);
      expect(sims.cameras.get('a-cam-lobby')!.options).toMatchObject({ width: 320, height: 180, clipSeconds: 3 });

      const answer = await new OnvifSoapClient({ username: camera.user, password: camera.password }).call(camera.xaddr, '<tds:GetDeviceInformation/>');
      expect(answer.status).toBe(200);

      // The agent configs take exactly these addresses.
      const [a] = estateToAgentConfigs(estate, { mqttUrl: 'mqtt://x', queueDir: '/q', onvifEndpoints: sims.endpoints });
      expect(a.devices.find((d) => d.id === 'a-cam-lobby')).toMatchObject({ xaddr: camera.xaddr, password: camera.password });
    } finally {
      await sims.stop();
    }
    // Stopped means gone: nothing answers at the address any more.
    await expect(fetch(sims.endpoints.get('a-door-lobby')!.xaddr, { method: 'POST' })).rejects.toThrow();
  });
});
