/**
 * Command-line arguments of `npm run sim -- <camera|door> ...`, parsed with
 * node:util and validated with zod; every error names the option at fault.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CameraSimulatorOptions } from '../camera/camera-simulator.js';
import type { SimLogLevel } from '../camera/sim-logger.js';
import type { DoorControllerOptions } from '../door/door-controller-simulator.js';

export class SimArgsError extends Error {
  override readonly name = 'SimArgsError';
}

export const usage = `Usage:
  npm run sim -- camera --name cam1 [--http-port 0] [--rtsp-port 0] --user admin --password secret
                 [--host 127.0.0.1] [--public-host H] [--discovery-port N] [--size 640x360] [--fps 10]
                 [--random-motion --seed 1 --motion-interval 60] [--clip-seconds 10] [--ffmpeg PATH]
                 [--location TEXT] [--log-level info]
  npm run sim -- door --name door1 [--http-port 0] --user admin --password secret [--doors 2]
                 [--host 127.0.0.1] [--public-host H] [--discovery-port N]
                 [--traffic --seed 1 --swipe-interval 45] [--location TEXT] [--log-level info]

Prints one JSON line once ready (camera: xaddr, rtsp, snapshot; door: xaddr, doors), logs to stderr,
runs until SIGINT/SIGTERM. --discovery-port 3702 answers multicast WS-Discovery; 0 picks a free port.
Faults: POST <admin>/fault {"fault": ...} (see simulators/src/camera/README.md, simulators/src/door/README.md).`;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, { message: 'expected an integer' })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `expected at least ${min}` }).max(max, { message: `expected at most ${max}` }));
const positive = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { message: 'expected a positive number' })
  .transform(Number)
  .pipe(z.number().positive({ message: 'expected a positive number' }));
const portArg = int(0, 65535);
const logLevel = z.enum(['debug', 'info', 'warn', 'error']).default('info');

const common = {
  name: z.string({ message: 'is required' }).min(1, { message: 'must not be empty' }).max(64),
  user: z.string({ message: 'is required' }).min(1, { message: 'must not be empty' }),
  password: z.string({ message: 'is required' }).min(1, { message: 'must not be empty' }),
  'http-port': portArg.default(0),
  host: z.string().min(1).default('127.0.0.1'),
  'public-host': z.string().min(1).optional(),
  'discovery-port': portArg.optional(),
  seed: int(-2147483648, 2147483647).optional(),
  location: z.string().max(128).optional(),
  'log-level': logLevel,
};


const cameraArgs = z.object({
  ...common,
  'rtsp-port': portArg.default(0),
  size: z
    .string()
    .regex(/^\d+x\d+$/, { message: 'expected WIDTHxHEIGHT, e.g. 640x360' })
    .default('640x360'),
  fps: int(1, 30).default(10),
  'random-motion': z.boolean().default(false),
  'motion-interval': positive.default(60),
  'clip-seconds': int(2, 60).default(10),
  ffmpeg: z.string().min(1).default('ffmpeg'),
});

const doorArgs = z.object({
  ...common,
  doors: int(1, 64).default(1),
  traffic: z.boolean().default(false),
  'swipe-interval': positive.default(45),
});

const stringOptions = [
  'name',
  'user',
  'password',
  'http-port',
  'rtsp-port',
  'host',
  'public-host',
  'discovery-port',
  'size',
  'fps',
  'seed',
  'motion-interval',
  'location',
  'log-level',
  'doors',
  'swipe-interval',
  'clip-seconds',
  'ffmpeg',
] as const;
const booleanOptions = ['random-motion', 'traffic', 'help'] as const;

export type SimCommand =
  | { kind: 'help' }
  | { kind: 'camera'; logLevel: SimLogLevel; options: Omit<CameraSimulatorOptions, 'logger'> }
  | { kind: 'door'; logLevel: SimLogLevel; options: Omit<DoorControllerOptions, 'logger'> };

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const option = issue.path.length > 0 ? `--${String(issue.path[0])}` : 'arguments';
      const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return `${option}: ${message}`;
    })
    .join('\n');
}

export function parseSimArgs(argv: readonly string[]): SimCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(stringOptions.map((o) => [o, { type: 'string' as const }])),
        ...Object.fromEntries(booleanOptions.map((o) => [o, { type: 'boolean' as const }])),
      },
    });
  } catch (err) {
    throw new SimArgsError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values['help']) return { kind: 'help' };
  const [device, ...extra] = positionals;
  if (device !== 'camera' && device !== 'door') throw new SimArgsError(`first argument must be "camera" or "door"${device ? `, not "${device}"` : ''}`);
  if (extra.length > 0) throw new SimArgsError(`unexpected argument "${extra[0]}"`);
  const { help: _help, ...given } = values;

  if (device === 'camera') {
    const unknown = Object.keys(given).filter((k) => !(k in cameraArgs.shape));
    if (unknown.length > 0) throw new SimArgsError(`--${unknown[0]}: not an option of "camera"`);
    const r = cameraArgs.safeParse(given);
    if (!r.success) throw new SimArgsError(describe(r.error));
    const a = r.data;
    const [width, height] = a.size.split('x').map(Number);
    if (width % 2 || height % 2 || width < 64 || height < 64 || width > 1920 || height > 1080) {
      throw new SimArgsError('--size: width and height must be even, 64x64 to 1920x1080');
    }
    if (a['random-motion'] && a.seed === undefined) throw new SimArgsError('--seed: is required with --random-motion');
    return {
      kind: 'camera',
      logLevel: a['log-level'],
      options: {
        name: a.name,
        username: a.user,
        password: a.password,
        host: a.host,
        publicHost: a['public-host'],
        httpPort: a['http-port'],
        rtspPort: a['rtsp-port'],
        discoveryPort: a['discovery-port'],
        width,
        height,
        fps: a.fps,
        clipSeconds: a['clip-seconds'],
        ffmpegPath: a.ffmpeg,
        location: a.location,
        randomMotion: a['random-motion'] ? { seed: a.seed!, meanIntervalSec: a['motion-interval'] } : undefined,
      },
    };
  }
  const unknown = Object.keys(given).filter((k) => !(k in doorArgs.shape));
  if (unknown.length > 0) throw new SimArgsError(`--${unknown[0]}: not an option of "door"`);
  const r = doorArgs.safeParse(given);
  if (!r.success) throw new SimArgsError(describe(r.error));
  const a = r.data;
  if (a.traffic && a.seed === undefined) throw new SimArgsError('--seed: is required with --traffic');
  return {
    kind: 'door',
    logLevel: a['log-level'],
    options: {
      name: a.name,
      username: a.user,
      password: a.password,
      host: a.host,
      publicHost: a['public-host'],
      httpPort: a['http-port'],
      discoveryPort: a['discovery-port'],
      doors: a.doors,
      location: a.location,
      traffic: a.traffic ? { seed: a.seed!, meanSwipeIntervalSec: a['swipe-interval'] } : undefined,
    },
  };
}
