import type { InitialCredential } from './auth/index.js';

/**
 * Prints the accounts created on first start, once, to the terminal (stdout),
 * not to the log: logs are shipped and kept, a password must not be.
 */
export function printCredentials(credentials: InitialCredential[]): void {
  if (!credentials.length) return;
  const width = Math.max(...credentials.map((c) => c.username.length));
  const lines = credentials.map((c) => `  ${c.username.padEnd(width)}  ${c.password}   (${c.role})`);
  process.stdout.write(
    ['', '  First start: these accounts were created. The passwords are shown only this once.', ...lines, ''].join('\n') + '\n',
  );
}
