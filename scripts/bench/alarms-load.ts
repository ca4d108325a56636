import mqtt from 'mqtt';

/**
 * Paced load generator child of bench:alarms (BENCH_RATE): like ingest-load.ts it
 * plays several edge agents publishing telemetry batches (QoS 1), but at a fixed
 * rate, as agents whose devices produce readings do, instead of as fast as the hub
 * acknowledges. An agent whose window of unacknowledged publishes is full falls
 * behind and catches up when acknowledgements return (its queue grows meanwhile).
 * Runs until killed; reports acknowledged points to the parent over IPC.
 */
interface PacedSpec {
  mqttUrl: string;
  site: string;
  agents: { id: string; secret: string }[];
  devices: number;
  metrics: number;
  pointsPerBatch: number;
  window: number;
  /** Points per second, per agent. */
  ratePerAgent: number;
  baseTs: number;
}

const spec = JSON.parse(process.argv[2]) as PacedSpec;
const TICK_MS = 20;
let acked = 0;

async function runAgent(agent: { id: string; secret: string }, agentIndex: number): Promise<void> {
  const client = await mqtt.connectAsync(spec.mqttUrl, { username: agent.id, password: agent.secret, clientId: agent.id, protocolVersion: 4, clean: true, reconnectPeriod: 1000 });
  const prefix = `warden/v1/${spec.site}/${agent.id}`;
  let seq = 0;
  for (let d = 0; d < spec.devices; d++) {
    const birth = {
      v: 1,
      msgId: `${agent.id}-${seq}`,
      seq: seq++,
      ts: Date.now(),
      device: { id: `dev-${d}`, type: 'sensor.bench', name: `Bench device ${d}` },
      metrics: Array.from({ length: spec.metrics }, (_, m) => ({ name: `m${m}`, type: 'number', unit: 'Cel' })),
      capabilities: [],
    };
    await client.publishAsync(`${prefix}/device/dev-${d}/birth`, JSON.stringify(birth), { qos: 1 });
  }
  const series = spec.devices * spec.metrics;
  let n = 0;
  let inFlight = 0;
  const start = Date.now();
  await new Promise<void>((_resolve, reject) => {
    const pump = () => {
      const owed = Math.floor(((Date.now() - start) * spec.ratePerAgent) / 1000);
      while (inFlight < spec.window && n + spec.pointsPerBatch <= owed) {
        const parts: string[] = [];
        for (let i = 0; i < spec.pointsPerBatch; i++, n++) {
          const s = n % series;
          const ts = spec.baseTs + agentIndex * 7 + Math.floor(n / series) * 10;
          parts.push(`{"device":"dev-${Math.floor(s / spec.metrics)}","metric":"m${s % spec.metrics}","ts":${ts},"value":${(20 + (n % 97) / 10).toFixed(1)}}`);
        }
        const payload = `{"v":1,"msgId":"${agent.id}-${seq}","seq":${seq++},"ts":${Date.now()},"historical":false,"points":[${parts.join(',')}]}`;
        inFlight++;
        client.publish(`${prefix}/telemetry`, payload, { qos: 1 }, (err) => {
          inFlight--;
          if (err) return reject(err);
          acked += spec.pointsPerBatch;
        });
      }
    };
    // Agents start spread over one tick so that their batches do not all leave together.
    setTimeout(() => setInterval(pump, TICK_MS), (agentIndex * TICK_MS) / spec.agents.length);
  });
}

setInterval(() => process.send?.({ acked }), 500);
Promise.all(spec.agents.map((a, i) => runAgent(a, i))).catch((err: Error) => {
  process.stderr.write(`paced load generator failed: ${err.message}\n`);
  process.exit(1);
});
