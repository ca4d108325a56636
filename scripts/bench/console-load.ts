import fs from 'node:fs';
import mqtt from 'mqtt';

/**
 * Load generator child of bench:console: plays one edge agent per building of a
 * synthetic estate. Each agent announces its devices with births (so the hub registers
 * them on their floors and the console's estate overview lists them), then publishes
 * one telemetry batch a second holding one `temperature` reading per device — the
 * estate's "devices updating every second". The parent steers it over IPC:
 *   { hot: codes, on }     hold those devices' readings above the alarm threshold (or not)
 *   { silent: codes, on }  stop (or resume) publishing for those devices, so the hub's
 *                          heartbeat check takes them offline and their next reading back online
 * and hears { born: true } once every birth is acknowledged, then { readings } counts.
 * The spec comes as a JSON file (argv[2]). Payloads are built as strings: the generator must stay light, the hub and the page are measured.
 */
export interface ConsoleLoadSpec {
  mqttUrl: string;
  site: string;
  agents: { id: string; secret: string; devices: { code: string; type: string; name: string; floor: string }[] }[];
  /** A reading above it raises the bench's threshold alarms. */
  hotValue: number;
  normalValue: number;
  heartbeatSec: number;
}

export type ConsoleLoadCommand = { hot: string[]; on: boolean } | { silent: string[]; on: boolean } | { stop: true };
export type ConsoleLoadReport = { born: true } | { readings: number } | { error: string };

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as ConsoleLoadSpec;
const hot = new Set<string>();
const silent = new Set<string>();
let readings = 0;
const clients: mqtt.MqttClient[] = [];
const timers: NodeJS.Timeout[] = [];

const send = (report: ConsoleLoadReport) => process.send?.(report);

process.on('message', (command: ConsoleLoadCommand) => {
  if ('stop' in command) return void stop();
  const set = 'hot' in command ? hot : silent;
  for (const code of 'hot' in command ? command.hot : command.silent) {
    if (command.on) set.add(code);
    else set.delete(code);
  }
});
// Never outlive the bench (a Ctrl-C, a crash): the IPC channel closes with it.
process.on('disconnect', () => void stop());

async function startAgent(agent: ConsoleLoadSpec['agents'][number], index: number): Promise<void> {
  const client = await mqtt.connectAsync(spec.mqttUrl, { username: agent.id, password: agent.secret, clientId: agent.id, protocolVersion: 4, clean: true, reconnectPeriod: 1000 });
  clients.push(client);
  const prefix = `warden/v1/${spec.site}/${agent.id}`;
  let seq = 0;
  const births: Promise<unknown>[] = [];
  for (const d of agent.devices) {
    const birth = {
      v: 1,
      msgId: `${agent.id}-b-${seq}`,
      seq: seq++,
      ts: Date.now(),
      device: { id: d.code, type: d.type, name: d.name, floor: d.floor },
      metrics: [{ name: 'temperature', type: 'number', unit: 'Cel' }],
      capabilities: [],
      heartbeatSec: spec.heartbeatSec,
    };
    births.push(client.publishAsync(`${prefix}/device/${d.code}/birth`, JSON.stringify(birth), { qos: 1 }));
  }
  await Promise.all(births);
  // Agents spread over the second, as real ones are: not every batch lands at once.
  const tick = () => {
    const now = Date.now();
    const parts: string[] = [];
    for (const d of agent.devices) {
      if (silent.has(d.code)) continue;
      const value = hot.has(d.code) ? spec.hotValue : spec.normalValue + ((now / 1000 + d.code.length) % 3);
      parts.push(`{"device":"${d.code}","metric":"temperature","ts":${now},"value":${value.toFixed(1)}}`);
    }
    if (!parts.length) return;
    const payload = `{"v":1,"msgId":"${agent.id}-t-${seq}","seq":${seq++},"ts":${now},"historical":false,"points":[${parts.join(',')}]}`;
    client.publish(`${prefix}/telemetry`, payload, { qos: 1 }, (err) => {
      if (!err) readings += parts.length;
    });
  };
  setTimeout(() => timers.push(setInterval(tick, 1000)), (index * 1000) / spec.agents.length);
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  void Promise.allSettled(clients.map((c) => c.endAsync())).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3_000).unref();
}

Promise.all(spec.agents.map((a, i) => startAgent(a, i)))
  .then(() => {
    send({ born: true });
    timers.push(setInterval(() => send({ readings }), 1000));
  })
  .catch((err: Error) => {
    send({ error: err.message });
    process.exit(1);
  });
