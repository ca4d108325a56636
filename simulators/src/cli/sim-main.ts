/**
 * `npm run sim -- camera|door ...`: starts one simulated device for
 * integrators and tests. Stdout carries exactly one JSON line, written once
 * the device answers; logs go to stderr. SIGINT/SIGTERM stop the device (and
 * any ffmpeg still encoding) before the process exits.
 */
import { CameraSimulator } from '../camera/camera-simulator.js';
import { stderrLogger } from '../camera/sim-logger.js';
import { DoorControllerSimulator } from '../door/door-controller-simulator.js';
import { parseSimArgs, SimArgsError, usage, type SimCommand } from './sim-args.js';

async function main(): Promise<void> {
  let command: SimCommand;
  try {
    command = parseSimArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SimArgsError)) throw err;
    process.stderr.write(`sim: ${err.message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }

  const logger = stderrLogger(command.options.name, command.logLevel);
  const device = command.kind === 'camera' ? new CameraSimulator({ ...command.options, logger }) : new DoorControllerSimulator({ ...command.options, logger });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal while stopping: give up waiting.
      process.exit(1);
    }
    stopping = true;
    logger('info', 'stopping', { signal });
    device.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger('error', 'stop failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    if (device instanceof CameraSimulator) {
      const e = await device.start();
      const line: Record<string, unknown> = { xaddr: e.xaddr, rtsp: e.rtsp, snapshot: e.snapshot, admin: e.admin };
      if (e.discoveryPort !== undefined) line['discoveryPort'] = e.discoveryPort;
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } else {
      const e = await device.start();
      const line: Record<string, unknown> = { xaddr: e.xaddr, doors: e.doors, admin: e.admin };
      if (e.discoveryPort !== undefined) line['discoveryPort'] = e.discoveryPort;
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } catch (err) {
    if (stopping) return; // interrupted while starting: shutdown() exits
    logger('error', 'start failed', { error: (err as Error).message });
    process.exitCode = 1;
  }
}

await main();
