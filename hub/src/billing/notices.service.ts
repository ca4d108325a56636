import type pg from 'pg';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import type { RecordsModule } from '../records/index.js';
import { maskEmail, maskPhone } from '../records/personal-data.js';
import type { Mailer } from './mailer.js';
import { fenOf } from './money.js';
import { billNotice, type NoticeLanguage, type NoticeText } from './notice-templates.js';
import type { SmsProvider } from './sms.js';

export const noticeChannels = ['email', 'sms'] as const;
export type NoticeChannel = (typeof noticeChannels)[number];

/** Advisory-lock keys: one notice run / one arrears sweep at a time across every hub. */
export const BILL_NOTICES_LOCK = 0x57424e31;
export const ARREARS_SWEEP_LOCK = 0x57415331;

/**
 * Runs fn on one connection holding a session advisory lock, waiting for a run on
 * another hub to finish. What the lock guards is sending (a message cannot be unsent):
 * the unique keys already keep the rows single, the lock keeps the e-mails single.
 * Everything inside must use the given client: embedded PGlite has only one connection.
 */
export async function withRunLock<T>(db: Database, key: number, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  });
}


export interface NoticeRow {
  id: number;
  purpose: 'bill' | 'reminder' | 'escalation' | 'warning';
  channel: 'email' | 'sms' | 'phone' | 'visit' | 'letter';
  unit_id: number | null;
  owner_id: number | null;
  bill_id: number | null;
  language: string;
  recipient: string | null;
  subject: string | null;
  status: 'sent' | 'failed' | 'logged';
  error: string | null;
  provider_id: string | null;
  note: string | null;
  actor: string;
  at: Date;
}

export type NoticeInput = Omit<NoticeRow, 'id' | 'at'>;

export async function insertNotice(db: Queryable, n: Partial<NoticeInput> & Pick<NoticeInput, 'purpose' | 'channel' | 'status' | 'actor'>): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO billing_notices (purpose, channel, unit_id, owner_id, bill_id, language, recipient, subject, status, error, provider_id, note, actor)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, 'zh-CN'), $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [n.purpose, n.channel, n.unit_id ?? null, n.owner_id ?? null, n.bill_id ?? null, n.language ?? null, n.recipient ?? null, n.subject ?? null, n.status, n.error ?? null, n.provider_id ?? null, n.note ?? null, n.actor],
  );
  return Number(rows[0].id);
}

/**
 * A transport's error message without the contacts it may quote ("550 <zhang@…>:
 * recipient rejected"): errors are logged and stored, contacts never in clear.
 */
export function scrubContacts(message: string): string {
  return message
    .replace(/[^\s<>"'@,;:]+@[^\s<>"'@,;:]+/g, (address) => maskEmail(address))
    .replace(/\+?\d[\d -]{6,}\d/g, (phone) => maskPhone(phone))
    .slice(0, 500);
}

/** An owner as a message reaches them: clear contacts (never logged, never stored) and language. */
export interface OwnerContact {
  ownerId: number;
  name: string;
  email: string | null;
  phone: string | null;
  language: NoticeLanguage;
}

/** The outcome of one attempt on one channel, as recorded. */
export interface Delivery {
  channel: NoticeChannel;
  status: 'sent' | 'failed';
  recipient: string;
  error?: string;
  providerId?: string;
}

export interface BillNoticesRequest {
  period: string;
  buildingId?: string;
  channels?: NoticeChannel[];
}

interface BillToNotify {
  id: number;
  number: string;
  unit_id: number;
  unit_number: string;
  building_id: string;
  building_name: string;
  owner_id: number | null;
  period: string;
  due_on: string;
  total_fen: string;
  outstanding_fen: string;
  sent_channels: string[];
}

/**
 * Messages about money to owners: bill notices (once per bill and channel, however many
 * runs or hubs), and the e-mail/SMS delivery the arrears ladder's reminders use. Every
 * attempt is a billing_notices row with the recipient masked; a failure carries its
 * reason and is tried again by the next run.
 */
export class NoticeService {
  constructor(
    private readonly db: Database,
    private readonly records: RecordsModule,
    private readonly mailer: Mailer,
    private readonly sms: SmsProvider,
    private readonly logger: Logger,
  ) {}

  async sendBillNotices(user: SessionUser, req: BillNoticesRequest): Promise<{ sent: number; failed: number; skipped: number }> {
    if (req.buildingId !== undefined && !canSeeBuilding(user, req.buildingId)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `building ${req.buildingId} is not yours`);
    const channels = req.channels ?? [...noticeChannels];
    const counts = { sent: 0, failed: 0, skipped: 0 };
    await withRunLock(this.db, BILL_NOTICES_LOCK, async (client) => {
      const { rows: bills } = await client.query<BillToNotify>(
        `SELECT b.id, b.number, b.unit_id, u.number AS unit_number, b.building_id, bd.name AS building_name, b.owner_id, b.period,
                to_char(b.due_on, 'YYYY-MM-DD') AS due_on, b.total_fen, bb.outstanding_fen,
                coalesce((SELECT array_agg(n.channel) FROM billing_notices n WHERE n.bill_id = b.id AND n.purpose = 'bill' AND n.status = 'sent'), '{}') AS sent_channels
           FROM bills b
           JOIN units u ON u.id = b.unit_id
           JOIN buildings bd ON bd.id = b.building_id
           JOIN bill_balances bb ON bb.bill_id = b.id
          WHERE b.period = $1 AND b.voided_at IS NULL
            AND ($2::text IS NULL OR b.building_id = $2)
            AND (cardinality($3::text[]) = 0 OR b.building_id = ANY($3::text[]))
          ORDER BY b.building_id, b.number`,
        [req.period, req.buildingId ?? null, user.buildings],
      );
      for (const bill of bills) {
        const todo = channels.filter((c) => !bill.sent_channels.includes(c));
        counts.skipped += channels.length - todo.length;
        if (todo.length === 0) continue;
        const owner = bill.owner_id === null ? undefined : await this.contact(client, bill.owner_id);
        if (!owner) {
          counts.skipped += todo.length;
          continue;
        }
        const lines = await client.query<{ description: string; amount_fen: string }>('SELECT description, amount_fen FROM bill_lines WHERE bill_id = $1 ORDER BY line_no', [bill.id]);
        const text = billNotice(owner.language, {
          ownerName: owner.name,
          unit: { building: bill.building_name, number: bill.unit_number },
          period: bill.period,
          billNumber: bill.number,
          totalFen: fenOf(bill.total_fen),
          outstandingFen: fenOf(bill.outstanding_fen),
          dueOn: bill.due_on,
          lines: lines.rows.map((l) => ({ description: l.description, amountFen: fenOf(l.amount_fen) })),
        });
        const deliveries = await this.deliver(owner, text, todo);
        // A channel the owner has no contact for is left out, not failed.
        counts.skipped += todo.length - deliveries.length;
        for (const d of deliveries) {
          if (d.status === 'sent') counts.sent++;
          else counts.failed++;
          await this.record(client, 'bill', d, { unitId: bill.unit_id, ownerId: owner.ownerId, billId: bill.id, language: owner.language, subject: text.subject, actor: user.username });
        }
      }
    });
    await recordAudit(this.db, { userId: user.id, actor: user.username, action: 'billing.notices.bills_sent', targetType: 'period', targetId: req.period, details: { buildingId: req.buildingId ?? null, channels, ...counts } });
    return counts;
  }

  /** The owner's contact for a system message, or undefined if there is no such owner. */
  async contact(db: Queryable, ownerId: number): Promise<OwnerContact | undefined> {
    const contact = await this.records.owners.contactFor(ownerId, db);
    if (!contact) return undefined;
    const { rows } = await db.query<{ language: NoticeLanguage }>('SELECT language FROM owners WHERE id = $1', [ownerId]);
    return { ownerId, ...contact, language: rows[0]?.language ?? 'zh-CN' };
  }

  /**
   * Sends a message on each channel the owner can be reached on (a channel without a
   * contact on record is left out, not failed). Never throws: failures come back.
   */
  async deliver(owner: OwnerContact, text: NoticeText, channels: readonly NoticeChannel[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    if (channels.includes('email') && owner.email) {
      const result = await this.mailer.send({ to: owner.email, subject: text.subject, text: text.text });
      out.push(result.ok ? { channel: 'email', status: 'sent', recipient: maskEmail(owner.email), providerId: result.id } : { channel: 'email', status: 'failed', recipient: maskEmail(owner.email), error: scrubContacts(result.error) });
    }
    if (channels.includes('sms') && owner.phone) {
      try {
        const { id } = await this.sms.send(owner.phone, text.sms);
        out.push({ channel: 'sms', status: 'sent', recipient: maskPhone(owner.phone), providerId: id });
      } catch (err) {
        out.push({ channel: 'sms', status: 'failed', recipient: maskPhone(owner.phone), error: scrubContacts((err as Error).message) });
      }
    }
    for (const d of out) if (d.status === 'failed') this.logger.warn({ channel: d.channel, to: d.recipient, err: d.error }, 'billing notice not sent');
    return out;
  }

  /** Records one attempt. A bill notice another hub recorded as sent meanwhile is a unique violation: kept as theirs. */
  async record(db: Queryable, purpose: NoticeRow['purpose'], d: Delivery, about: { unitId: number | null; ownerId: number | null; billId: number | null; language: string; subject: string; actor: string }): Promise<void> {
    await insertNotice(db, {
      purpose,
      channel: d.channel,
      unit_id: about.unitId,
      owner_id: about.ownerId,
      bill_id: about.billId,
      language: about.language,
      recipient: d.recipient,
      subject: about.subject,
      status: d.status,
      error: d.error ?? null,
      provider_id: d.providerId ?? null,
      actor: about.actor,
    }).catch((err: { code?: string }) => {
      if (err.code !== '23505') throw err;
    });
  }

  async list(user: SessionUser, q: { unit?: number; bill?: number; limit: number }): Promise<(NoticeRow & { building_id: string | null })[]> {
    const { rows } = await this.db.query<NoticeRow & { building_id: string | null }>(
      `SELECT n.*, u.building_id FROM billing_notices n LEFT JOIN units u ON u.id = n.unit_id
        WHERE ($1::bigint IS NULL OR n.unit_id = $1) AND ($2::bigint IS NULL OR n.bill_id = $2)
          AND (cardinality($3::text[]) = 0 OR u.building_id = ANY($3::text[]))
        ORDER BY n.at DESC, n.id DESC LIMIT $4`,
      [q.unit ?? null, q.bill ?? null, user.buildings, q.limit],
    );
    return rows;
  }
}
