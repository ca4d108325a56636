import type { Logger } from 'pino';
import { maskPhone } from '../records/index.js';

/**
 * An SMS gateway (Aliyun, Tencent Cloud, a carrier's HTTP API…). The hub only needs to
 * hand over a number and a text and get the gateway's message id back; a rejection is
 * a thrown error, recorded on the notice and retried on the next run.
 */
export interface SmsProvider {
  send(to: string, text: string): Promise<{ id: string }>;
}

/** The demo's gateway: nothing leaves the hub; a log line (number masked) stands for the message. */
export class LogSmsProvider implements SmsProvider {
  private sent = 0;

  constructor(private readonly logger: Logger) {}

  async send(to: string, text: string): Promise<{ id: string }> {
    const id = `log-${Date.now().toString(36)}-${++this.sent}`;
    this.logger.info({ to: maskPhone(to), chars: text.length, id }, 'SMS (log provider: not sent)');
    return { id };
  }
}

/** A hub configured without SMS: every attempt fails with that reason. */
class NoSmsProvider implements SmsProvider {
  async send(): Promise<{ id: string }> {
    throw new Error('SMS is not configured (SMS_PROVIDER=none)');
  }
}

type SmsProviderFactory = (logger: Logger) => SmsProvider;

const providers = new Map<string, SmsProviderFactory>([
  ['log', (logger) => new LogSmsProvider(logger)],
  ['none', () => new NoSmsProvider()],
]);

/**
 * Makes a real gateway's adapter selectable by SMS_PROVIDER. Adapters register at
 * start-up, before the hub starts (tests register a recording provider this way).
 */
export function registerSmsProvider(name: string, factory: SmsProviderFactory): void {
  providers.set(name, factory);
}

export function createSmsProvider(name: string, logger: Logger): SmsProvider {
  const factory = providers.get(name);
  if (!factory) throw new Error(`SMS_PROVIDER: no provider "${name}" (known: ${[...providers.keys()].join(', ')})`);
  return factory(logger);
}
