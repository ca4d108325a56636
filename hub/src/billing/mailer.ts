import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string | string[];
  subject: string;
  text: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

/** What sending a message did: the server's message id, or why it did not go. */
export type MailResult = { ok: true; id: string } | { ok: false; error: string };

export interface Mailer {
  readonly configured: boolean;
  send(message: MailMessage): Promise<MailResult>;
  close(): void;
}

export interface MailerOptions {
  /** smtp://user:pass@host:port or smtps://…; absent: nothing is sent. */
  smtpUrl?: string;
  from: string;
}

/**
 * The billing office's outgoing mail. Sending never throws: a failure (or a hub with no
 * SMTP server configured) comes back as a reason, which the caller records on the notice
 * so the next run retries it.
 */
export function createMailer(options: MailerOptions): Mailer {
  if (!options.smtpUrl) {
    return { configured: false, send: async () => ({ ok: false, error: 'e-mail is not configured (SMTP_URL is unset)' }), close: () => {} };
  }
  const transport = nodemailer.createTransport(options.smtpUrl);
  return {
    configured: true,
    async send(message) {
      try {
        const info = await transport.sendMail({ from: options.from, ...message });
        return { ok: true, id: String(info.messageId) };
      } catch (err) {
        return { ok: false, error: (err as Error).message.slice(0, 500) };
      }
    },
    close: () => transport.close(),
  };
}
