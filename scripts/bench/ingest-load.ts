import mqtt from 'mqtt';

/**
 * Load generator child of bench:ingest and bench:alarms: plays several edge agents,
 * each publishing telemetry batches (QoS 1, a bounded window of unacknowledged
 * publishes) for a fixed time — as fast as the hub acknowledges them, or, with
 * `ratePerAgent`, paced as agents whose devices produce readings are (an agent
 * whose window is full falls behind and catches up when acknowledgements return).
 * Payloads are built as strings without validation: the generator must stay light,
 * the hub is what is measured. Reports acknowledged points to the parent over IPC.
 */
interface LoadSpec {
  mqttUrl: string;
  site: string;
  agents: { id: string; secret: string }[];
  devices: number;
  metrics: number;
  pointsPerBatch: number;
  window: number;
  durationMs: number;
  baseTs: number;
  /** Points per second per agent; absent or 0: as fast as acknowledged. */
  ratePerAgent?: number;
}

const PACE_TICK_MS = 20;

const spec = JSON.parse(process.argv[2]) as LoadSpec;
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
  const start = Date.now();
  const end = start + spec.durationMs;
  const paced = (spec.ratePerAgent ?? 0) > 0;
  /** Points this agent may have sent by now. */
  const allowed = () => (paced ? Math.floor(((Date.now() - start) * spec.ratePerAgent!) / 1000) : Infinity);
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    let ticker: NodeJS.Timeout | undefined;
    const pump = () => {
      while (inFlight < spec.window && Date.now() < end && n + spec.pointsPerBatch <= allowed()) {
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
          if (Date.now() < end) pump();
          else if (inFlight === 0) {
            clearInterval(ticker);
            resolve();
          }
        });
      }
    };
    if (!paced) return pump();
    // Paced agents start spread over one tick so that their batches do not all leave together.
    setTimeout(() => (ticker = setInterval(pump, PACE_TICK_MS)), (agentIndex * PACE_TICK_MS) / spec.agents.length);
  });
  await client.endAsync();
}

const reporter = setInterval(() => process.send?.({ acked }), 500);
Promise.all(spec.agents.map((a, i) => runAgent(a, i)))
  .then(() => {
    clearInterval(reporter);
    process.send?.({ acked, done: true });
    setTimeout(() => process.exit(0), 100);
  })
  .catch((err: Error) => {
    process.stderr.write(`load generator failed: ${err.message}\n`);
    process.exit(1);
  });
