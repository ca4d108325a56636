/**
 * The simulators' logging port. Device simulators run inside tests, the demo
 * and the CLI; each passes its own sink (the CLI writes JSON lines to stderr,
 * keeping stdout for the one "ready" line).
 */
export type SimLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SimLogger = (level: SimLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

export const silentLogger: SimLogger = () => {};

/** JSON lines on stderr, from `minLevel` up. */
export function stderrLogger(device: string, minLevel: SimLogLevel = 'info'): SimLogger {
  const order: SimLogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  return (level, msg, fields) => {
    if (order.indexOf(level) < min) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, device, msg, ...fields })}\n`);
  };
}
