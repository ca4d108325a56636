import { describeIssues, isCommandExpired, type Command, type CommandAck } from '@warden/protocols';
import type { CommandOutcome, DeviceAdapter, DeviceDescription } from '../adapters/device-adapter.js';
import { withTimeout } from './with-timeout.js';

export interface CommandTarget {
  adapter: DeviceAdapter;
  description: DeviceDescription;
}

export interface CommandContext {
  now(): number;
  device(id: string): CommandTarget | undefined;
  /** Re-announces the agent (all devices) or one device; returns how many devices were re-born. */
  rebirth(deviceId?: string): number;
  timeoutMs: number;
}

export type AckBody = Pick<CommandAck, 'result' | 'message' | 'data'>;

/**
 * Decides and runs one validated command; never throws. The result is what
 * the acknowledgement says:
 * - `expired`: `expiresAt` has passed (the hub must not get a late door unlock);
 * - `rejected`: params that fail the command's schema or range;
 * - `unsupported`: no such device on this agent, or it lacks the capability;
 * - `ok` / `error`: what the adapter reports.
 * (PROTOCOL.md §10.)
 */
export async function runCommand(command: Command, ctx: CommandContext): Promise<AckBody> {
  const now = ctx.now();
  if (isCommandExpired(command, now)) return { result: 'expired', message: `received ${now - command.expiresAt!} ms after expiresAt` };

  if (command.name === 'rebirth') {
    if (command.device !== undefined && !ctx.device(command.device)) return { result: 'unsupported', message: `no device ${command.device} on this agent` };
    return { result: 'ok', data: { devices: ctx.rebirth(command.device) } };
  }

  // decode() already refused a device command without a device; this guards direct callers.
  if (command.device === undefined) return { result: 'rejected', message: `${command.name} needs a device` };
  const target = ctx.device(command.device);
  if (!target) return { result: 'unsupported', message: `no device ${command.device} on this agent` };
  const spec = target.description.commands.find((c) => c.name === command.name);
  if (!spec || !target.adapter.execute) {
    return { result: 'unsupported', message: `${command.device} (${target.description.type}) does not support ${command.name}` };
  }
  const params = spec.params.safeParse(command.params ?? {});
  if (!params.success) return { result: 'rejected', message: `invalid params: ${describeIssues(params.error)}` };

  const timeoutMs = Math.max(ctx.timeoutMs, spec.timeoutMs?.(params.data) ?? 0);
  try {
    const outcome: CommandOutcome = await withTimeout(
      Promise.resolve(target.adapter.execute({ ...command, params: params.data }, now)),
      timeoutMs,
      `no answer from the device within ${timeoutMs} ms`,
    );
    return outcome;
  } catch (err) {
    return { result: 'error', message: (err as Error).message };
  }
}
