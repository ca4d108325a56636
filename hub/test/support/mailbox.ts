import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the local SMTP server received it, decoded: envelope recipients, subject, text body. */
export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

/** A real SMTP server on a free loopback port, keeping every message it receives. */
export interface Mailbox {
  /** smtp://127.0.0.1:port, for the hub's SMTP_URL. */
  url: string;
  mails: Mail[];
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(parseMail(session.envelope.rcptTo.map((r) => r.address), Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

/** Bytes of a quoted-printable text (RFC 2045 §6.7), soft line breaks removed. */
function quotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

/** A header with RFC 2047 encoded words; adjacent words are joined before decoding (a character may span two). */
function decodeHeader(value: string): string {
  return value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=\s*)+/g, (run) => {
    const parts = [...run.matchAll(/=\?[^?]+\?([BbQq])\?([^?]*)\?=/g)].map(([, enc, body]) => (enc.toUpperCase() === 'B' ? Buffer.from(body, 'base64') : quotedPrintable(body.replace(/_/g, ' '))));
    return Buffer.concat(parts).toString('utf8') + (/\s$/.test(run) && !run.trim().endsWith('?=') ? ' ' : '');
  });
}

/** A single-part message (what the hub sends) decoded from its transfer encoding. */
export function parseMail(to: string[], raw: string): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const headerText = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map(headerText.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const body = raw.slice(split + 4);
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : encoding === 'quoted-printable' ? quotedPrintable(body).toString('utf8') : body;
  return { to, subject: decodeHeader(headers.get('subject') ?? ''), text };
}
