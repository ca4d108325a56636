import pino, { type Logger } from 'pino';

/**
 * pino with redaction of secrets and personal data wherever they might be
 * logged by mistake (request bodies, headers, config).
 */
export function createLogger(level: string, name = 'hub'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'secret',
        '*.secret',
        'token',
        '*.token',
        'req.headers.authorization',
        'req.headers.cookie',
        'idNumber',
        '*.idNumber',
      ],
      censor: '[redacted]',
    },
  });
}
