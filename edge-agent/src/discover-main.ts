/**
 * Lists the ONVIF cameras and door controllers that answer a WS-Discovery
 * Probe, one JSON line each, for writing an agent's config:
 *
 *   npm run discover -w edge-agent                      # multicast 239.255.255.250:3702
 *   npm run discover -w edge-agent -- --target 192.168.1.64 --target 10.0.0.9:3702
 *   npm run discover -w edge-agent -- --timeout 5000
 *
 * Each line: {"kind":"camera","name":"...","xaddr":"http://.../onvif/device_service",
 * "xaddrs":[...],"scopes":[...],"types":[...],"endpoint":"urn:uuid:...","from":"ip:port"}.
 * A summary goes to stderr. Exit 0 (also when nothing answered), 1 when no
 * Probe could be sent, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import { parseDiscoveryTarget, probeOnvifDevices, type DiscoveryTarget } from './adapters/onvif/ws-discovery-probe.js';

const usage = 'usage: edge-agent discover [--target host[:port]]... [--timeout ms]   (default: multicast 239.255.255.250:3702, 3000 ms)';

function parseCli(): { targets: DiscoveryTarget[]; timeoutMs: number } {
  try {
    const { values } = parseArgs({
      options: {
        target: { type: 'string', short: 't', multiple: true },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const timeoutMs = values.timeout === undefined ? 3000 : Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) throw new Error(`--timeout ${values.timeout}: give milliseconds, 100 to 60000`);
    return { targets: (values.target ?? []).map(parseDiscoveryTarget), timeoutMs };
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { targets, timeoutMs } = parseCli();
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  try {
    const devices = await probeOnvifDevices({ targets, timeoutMs, signal: stop.signal });
    for (const d of devices) {
      const { kind, name, xaddr, xaddrs, scopes, types, hardware, location, endpoint, from } = d;
      process.stdout.write(`${JSON.stringify({ kind, name, xaddr, xaddrs, scopes, types, hardware, location, endpoint, from })}\n`);
    }
    const where = targets.length ? targets.map((t) => `${t.host}:${t.port}`).join(', ') : 'multicast 239.255.255.250:3702';
    console.error(`${devices.length} ONVIF device${devices.length === 1 ? '' : 's'} answered (${where}, ${timeoutMs} ms)`);
  } catch (err) {
    console.error(`discovery failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

await main();
