import type { CommandName } from '@warden/protocols';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { CommandOutcome, CommandService } from '../commands/index.js';
import { requireOk } from '../commands/index.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import * as repo from './registry.repository.js';
import { securityAudience } from './zone-schedule.service.js';

export const doorActions = ['unlock', 'lock', 'access'] as const;
export type DoorAction = (typeof doorActions)[number];

export interface DoorCommandInput {
  reason: string;
  /** unlock only: relock after this long; without it the door stays unlocked until a lock. */
  durationSec?: number;
}

/** How a door command ended, as the audit trail and the console say it. */
type Result = CommandOutcome['result'] | 'timeout' | 'refused' | 'offline' | 'failed';

/**
 * Remote door control from the console: a person with a reason asks, the controller
 * answers through its agent. Whatever happens (done, refused, no answer), one audit
 * row says who asked, when, why and how it ended, and the console hears it live.
 */
export class DoorCommandService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly commands: CommandService,
    private readonly logger: Logger,
    private readonly options: { timeoutMs: number },
  ) {}

  async command(user: SessionUser, ip: string | undefined, doorId: number, action: DoorAction, input: DoorCommandInput): Promise<CommandOutcome> {
    const door = await repo.securityDevice(this.db, 'door', doorId);
    if (!door) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no door ${doorId}`);
    if (!canSeeBuilding(user, door.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not operate doors in building ${door.buildingId ?? '(none)'}`);
    const name = `door.${action}` as CommandName;
    const params: { reason: string; durationSec?: number } = action === 'unlock' && input.durationSec !== undefined ? { reason: input.reason, durationSec: input.durationSec } : { reason: input.reason };

    let outcome: CommandOutcome | undefined;
    let failure: WardenError | undefined;
    try {
      outcome = await this.commands.send({ deviceId: door.id, name, params, reason: input.reason, issuedBy: { userId: user.id, name: user.username }, timeoutMs: this.options.timeoutMs });
      requireOk(outcome);
    } catch (err) {
      if (!(err instanceof WardenError)) throw err;
      failure = err;
    }
    const result: Result = outcome?.result ?? resultOf(failure!);
    const commandId = outcome?.id ?? (failure?.details as { commandId?: string } | undefined)?.commandId ?? null;
    const message = outcome?.message ?? (outcome ? null : failure!.message);
    const at = new Date();
    try {
      const liveId = await this.db.transaction(async (tx) => {
        await recordAudit(tx, {
          userId: user.id,
          actor: user.username,
          action: name,
          targetType: 'device',
          targetId: door.id,
          details: { door: door.code, building: door.buildingId, reason: input.reason, durationSec: params.durationSec ?? null, commandId, result, message, elapsedMs: outcome?.elapsedMs ?? null },
          ip,
        });
        return appendLiveEvent(tx, {
          type: 'door.command',
          buildingId: door.buildingId,
          audience: securityAudience,
          data: { deviceId: door.id, code: door.code, door: door.name, command: name, reason: input.reason, durationSec: params.durationSec ?? null, result, message, commandId, actor: user.username, at: at.toISOString() },
        });
      });
      this.bus.emit('live.appended', { lastId: liveId });
    } catch (err) {
      // The door did (or did not do) what the device said; say so, even if the record could not be written.
      this.logger.error({ err: (err as Error).message, door: door.id, command: name, result }, 'could not audit a door command');
      if (!failure) throw new WardenError('WARDEN_ERR_INTERNAL', `${name} on ${door.code} ended ${result}, but it could not be recorded`);
    }
    if (failure) throw failure;
    return outcome!;
  }
}

function resultOf(err: WardenError): Result {
  switch (err.code) {
    case 'WARDEN_ERR_DEVICE_TIMEOUT':
      return 'timeout';
    case 'WARDEN_ERR_UNSUPPORTED_COMMAND':
      return 'refused';
    case 'WARDEN_ERR_DEVICE_OFFLINE':
      return 'offline';
    case 'WARDEN_ERR_COMMAND_FAILED':
      return ((err.details as { result?: Result } | undefined)?.result ?? 'failed');
    default:
      return 'failed';
  }
}
