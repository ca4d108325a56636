import { randomUUID } from 'node:crypto';
import { agentCommandNames, commandParamsSchemas, encode, type CommandAck, type CommandName } from '@warden/protocols';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import * as repo from './command.repository.js';

/** What the command service needs of the hub's MQTT connection. */
export interface CommandLink {
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

/** Where acknowledgements come from (the ingest service: every hub receives every ack). */
export interface AckSource {
  onCommandAck(listener: (ack: CommandAck, agentId: string) => void): () => void;
}

/** Who issued a command: a person, or the hub itself ("system") for evidence and rebirths. */
export interface CommandIssuer {
  userId: number | null;
  name: string;
}

export interface SendCommandInput {
  /** The device; its agent is where the command goes. */
  deviceId?: number;
  /** An agent as a whole (commands without a device, e.g. rebirth). */
  agentId?: string;
  name: CommandName;
  params?: Record<string, unknown>;
  issuedBy: CommandIssuer;
  /** Why (door commands): kept on the command row. */
  reason?: string;
  /** How long to wait for the acknowledgement. */
  timeoutMs: number;
  /**
   * The agent must not execute the command after this long (default: timeoutMs). Equal
   * to the timeout, a command the hub reported as unanswered is never executed later.
   */
  expiresInMs?: number;
  /** Stops waiting (the hub is shutting down); the row is closed as unanswered. */
  signal?: AbortSignal;
}

export type AckResult = CommandAck['result'];

export interface CommandOutcome {
  id: string;
  name: CommandName;
  agentId: string;
  deviceId: number | null;
  deviceCode: string | null;
  result: AckResult;
  message: string | null;
  data: Record<string, unknown>;
  sentAt: Date;
  ackedAt: Date;
  elapsedMs: number;
}

interface Pending {
  agentId: string;
  settle: (outcome: { ack: CommandAck; at: Date } | 'timeout' | 'aborted') => void;
}

/** A timed-out command whose late acknowledgement is still worth recording (a door that opened after all). */
const LATE_ACK_MEMORY_MS = 10 * 60_000;

/**
 * Sends commands to agents and waits for their acknowledgement (protocol §10). Every
 * command is a row in `commands`: who issued it, why, when it was sent and expires,
 * and what came back (or "timeout"). Acknowledgements are subscribed by every hub
 * without sharing, so the hub that sent a command is the one that resolves it, even
 * with several hubs behind one broker; other hubs ignore acks they are not waiting for.
 */
export class CommandService {
  private readonly pending = new Map<string, Pending>();
  private readonly timedOut = new Map<string, number>();
  private offAck: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    private readonly link: CommandLink,
    private readonly acks: AckSource,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.offAck = this.acks.onCommandAck((ack, agentId) => this.onAck(ack, agentId));
  }

  async stop(): Promise<void> {
    this.offAck?.();
    this.offAck = undefined;
    for (const p of [...this.pending.values()]) p.settle('aborted');
  }

  /** Commands waiting for their acknowledgement on this hub. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends a command and resolves with the agent's acknowledgement, whatever its result
   * (the caller decides what a "rejected" means to its user). Throws, with nothing sent,
   * when the params are invalid (WARDEN_ERR_VALIDATION), the device or agent is unknown
   * (WARDEN_ERR_NOT_FOUND), the device's birth does not list the command
   * (WARDEN_ERR_UNSUPPORTED_COMMAND) or its agent is offline (WARDEN_ERR_DEVICE_OFFLINE);
   * after sending, when no acknowledgement comes in time (WARDEN_ERR_DEVICE_TIMEOUT, row "timeout").
   */
  async send(input: SendCommandInput): Promise<CommandOutcome> {
    const params = commandParamsSchemas[input.name].safeParse(input.params ?? {});
    if (!params.success) {
      const issues = params.error.issues.map((i) => ({ field: ['params', ...i.path.map(String)].join('.'), message: i.message }));
      throw new WardenError('WARDEN_ERR_VALIDATION', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    }
    const target = await this.target(input);
    const label = target.deviceCode ? `${input.name} to ${target.deviceCode}` : `${input.name} to agent ${target.agentId}`;
    if (target.deviceId !== null && !target.capabilities.includes(input.name)) {
      throw new WardenError(
        'WARDEN_ERR_UNSUPPORTED_COMMAND',
        `${target.deviceCode} does not accept ${input.name}: its birth lists ${target.capabilities.length ? target.capabilities.join(', ') : 'no commands'}`,
        { deviceId: target.deviceId, capabilities: target.capabilities },
      );
    }
    if (!target.agentOnline) throw new WardenError('WARDEN_ERR_DEVICE_OFFLINE', `${label}: agent ${target.agentId} is offline, so the command was not sent`);

    const id = randomUUID();
    const sentAt = new Date();
    const expiresAt = new Date(sentAt.getTime() + (input.expiresInMs ?? input.timeoutMs));
    const out = encode(
      'command',
      { site: target.siteId, agent: target.agentId },
      {
        v: 1,
        id,
        ts: sentAt.getTime(),
        name: input.name,
        ...(target.deviceCode ? { device: target.deviceCode } : {}),
        ...(Object.keys(params.data).length ? { params: params.data } : {}),
        expiresAt: expiresAt.getTime(),
        issuedBy: input.issuedBy.userId === null ? input.issuedBy.name.slice(0, 128) : `user-${input.issuedBy.userId}`,
      },
    );
    await repo.insertCommand(this.db, {
      id,
      agentId: target.agentId,
      deviceId: target.deviceId,
      name: input.name,
      params: params.data,
      issuedBy: input.issuedBy.userId,
      issuedByName: input.issuedBy.name,
      reason: input.reason ?? null,
      sentAt,
      expiresAt,
    });

    const answered = this.awaitAck(id, target.agentId, input.timeoutMs, input.signal);
    try {
      await this.link.publish(out.topic, out.payload, out.options);
    } catch (err) {
      this.pending.get(id)?.settle('aborted');
      await repo.finishCommand(this.db, id, 'error', `not delivered to the broker: ${(err as Error).message}`, null);
      throw new WardenError('WARDEN_ERR_UNAVAILABLE', `${label}: the broker did not take the command (${(err as Error).message})`);
    }
    const outcome = await answered;
    if (outcome === 'timeout' || outcome === 'aborted') {
      const message = outcome === 'timeout' ? `no acknowledgement within ${input.timeoutMs} ms` : 'the hub stopped waiting for the acknowledgement';
      await repo.finishCommand(this.db, id, 'timeout', message, null);
      if (outcome === 'timeout') this.rememberTimedOut(id);
      throw new WardenError(outcome === 'timeout' ? 'WARDEN_ERR_DEVICE_TIMEOUT' : 'WARDEN_ERR_UNAVAILABLE', `${label}: ${message}`, { commandId: id });
    }
    const { ack, at } = outcome;
    await repo.finishCommand(this.db, id, ack.result, ack.message ?? null, at);
    return {
      id,
      name: input.name,
      agentId: target.agentId,
      deviceId: target.deviceId,
      deviceCode: target.deviceCode,
      result: ack.result,
      message: ack.message ?? null,
      data: ack.data ?? {},
      sentAt,
      ackedAt: at,
      elapsedMs: at.getTime() - sentAt.getTime(),
    };
  }

  private async target(input: SendCommandInput): Promise<repo.CommandTarget> {
    if (input.deviceId !== undefined) {
      const target = await repo.deviceTarget(this.db, input.deviceId);
      if (!target) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no device ${input.deviceId}`);
      return target;
    }
    if (!(agentCommandNames as readonly string[]).includes(input.name)) {
      throw new WardenError('WARDEN_ERR_VALIDATION', `${input.name} needs a device`, { issues: [{ field: 'deviceId', message: 'required' }] });
    }
    const target = input.agentId === undefined ? undefined : await repo.agentTarget(this.db, input.agentId);
    if (!target) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no agent ${input.agentId ?? '(none given)'}`);
    return target;
  }

  /** Registered before the command is published, so an acknowledgement can never come "too early". */
  private awaitAck(id: string, agentId: string, timeoutMs: number, signal?: AbortSignal): Promise<{ ack: CommandAck; at: Date } | 'timeout' | 'aborted'> {
    return new Promise((resolve) => {
      const onAbort = () => settle('aborted');
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      const settle: Pending['settle'] = (outcome) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      this.pending.set(id, { agentId, settle });
      if (signal?.aborted) return settle('aborted');
      signal?.addEventListener('abort', onAbort);
    });
  }

  private onAck(ack: CommandAck, agentId: string): void {
    const pending = this.pending.get(ack.id);
    if (pending) {
      if (pending.agentId !== agentId) {
        this.logger.warn({ command: ack.id, from: agentId, sentTo: pending.agentId }, 'acknowledgement from an agent the command was not sent to: ignored');
        return;
      }
      pending.settle({ ack, at: new Date() });
      return;
    }
    const until = this.timedOut.get(ack.id);
    if (until === undefined) return; // another hub's command, or one sent without waiting (rebirth)
    this.timedOut.delete(ack.id);
    this.logger.warn({ command: ack.id, agent: agentId, result: ack.result }, 'acknowledgement after the command had timed out');
    void (async () => {
      await repo.noteLateAck(this.db, ack.id, ack.result, ack.message, new Date());
      // The person was told "no answer": the audit trail must show what the device did after all.
      await recordAudit(this.db, { actor: agentId, action: 'command.late-ack', targetType: 'command', targetId: ack.id, details: { result: ack.result, message: ack.message ?? null } });
    })().catch((err: Error) => this.logger.warn({ err: err.message, command: ack.id }, 'could not record a late acknowledgement'));
  }

  private rememberTimedOut(id: string): void {
    const now = Date.now();
    for (const [k, until] of this.timedOut) if (until < now) this.timedOut.delete(k);
    this.timedOut.set(id, now + LATE_ACK_MEMORY_MS);
  }
}

/** The outcome, or a coded error saying clearly why the device did not do it. */
export function requireOk(outcome: CommandOutcome): CommandOutcome {
  if (outcome.result === 'ok') return outcome;
  const target = outcome.deviceCode ?? `agent ${outcome.agentId}`;
  const why: Record<Exclude<AckResult, 'ok'>, string> = {
    error: 'tried and failed',
    rejected: 'refused it',
    unsupported: 'does not support it',
    expired: 'received it too late and did not execute it',
  };
  throw new WardenError('WARDEN_ERR_COMMAND_FAILED', `${outcome.name} on ${target}: the device ${why[outcome.result]}${outcome.message ? `: ${outcome.message}` : ''}`, {
    commandId: outcome.id,
    result: outcome.result,
    message: outcome.message,
  });
}
