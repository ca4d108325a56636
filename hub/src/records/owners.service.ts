import { recordAudit } from '../audit/index.js';
import type { SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import * as repo from './owners.repository.js';
import { maskEmail, maskNationalId, maskPhone, nationalIdProblem, normaliseNationalId, type IdType } from './personal-data.js';
import { canReadContacts } from './records-access.js';
import type { RecordsCipher } from './records-cipher.js';
import { conflictingField, invalidField, isUniqueViolation } from './records-errors.js';

export interface OwnerInput {
  name: string;
  idType?: IdType;
  nationalId: string;
  phone?: string | null;
  email?: string | null;
  userId?: number | null;
  notes?: string | null;
}

export type OwnerPatch = Partial<OwnerInput>;

/** An owner as a user may see them: the ID number always masked, contacts masked unless the role may read them. */
export interface OwnerView {
  id: number;
  name: string;
  idType: IdType;
  nationalIdMasked: string;
  phone: string | null;
  email: string | null;
  /** Whether phone and e-mail above are masked for this user. */
  contactsMasked: boolean;
  userId: number | null;
  username: string | null;
  notes: string | null;
  units: repo.OwnerRow['units'];
  createdAt: Date;
  updatedAt: Date;
}

export interface OwnerQuery {
  q?: string;
  unit?: number;
  page: number;
  limit: number;
}

const NATIONAL_ID_UNIQUE = 'owners_national_id_index_key';

/**
 * Owners (and tenants, residents: anyone associated with a unit). Their ID number,
 * phone and e-mail are sealed before they reach the database and opened only to
 * build an answer, masked per the user's role (records-access.ts). The clear ID
 * number leaves the hub only through reveal(), audited with its reason every time.
 * Nothing personal is logged or audited in clear: audit rows name fields, not values.
 */
export class OwnerService {
  constructor(
    private readonly db: Database,
    private readonly cipher: RecordsCipher,
  ) {}

  async search(user: SessionUser, q: OwnerQuery): Promise<{ rows: OwnerView[]; total: number }> {
    const { rows, total } = await repo.searchOwners(this.db, {
      name: q.q?.trim() || undefined,
      unitId: q.unit,
      ...this.scope(user),
      limit: q.limit,
      offset: (q.page - 1) * q.limit,
    });
    return { rows: rows.map((r) => this.present(user, r)), total };
  }

  async get(user: SessionUser, id: number): Promise<OwnerView> {
    return this.present(user, await this.visibleOwner(this.db, user, id));
  }

  /** Exact match on the ID number through its blind index; audited (whether found, never the number). */
  async lookup(user: SessionUser, nationalId: string, ip?: string): Promise<OwnerView | null> {
    const index = this.cipher.blindIndex(normaliseNationalId(nationalId), 'owner.national_id');
    const { rows } = await repo.searchOwners(this.db, { nationalIdIndex: index, ...this.scope(user), limit: 1, offset: 0 });
    await recordAudit(this.db, { userId: user.id, actor: user.username, action: 'owner.looked_up_by_id', targetType: 'owner', targetId: rows[0]?.id, ip, details: { found: rows.length > 0 } });
    return rows[0] ? this.present(user, rows[0]) : null;
  }

  async create(user: SessionUser, input: OwnerInput, ip?: string): Promise<OwnerView> {
    const sealed = this.sealInput(input, 'body.');
    try {
      const id = await this.db.transaction(async (tx) => {
        const existing = await repo.ownerIdByIndex(tx, sealed.nationalIdIndex!);
        if (existing !== undefined) throw duplicateId(existing);
        if (input.userId != null) await this.assertOwnerLogin(tx, input.userId, null);
        const id = await repo.insertOwner(tx, sealed as repo.SealedOwner);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'owner.created', targetType: 'owner', targetId: id, ip, details: { fields: presentFields(input) } });
        return id;
      });
      return this.get(user, id);
    } catch (err) {
      if (isUniqueViolation(err, NATIONAL_ID_UNIQUE)) throw duplicateId();
      throw err;
    }
  }

  async update(user: SessionUser, id: number, patch: OwnerPatch, ip?: string): Promise<OwnerView> {
    try {
      await this.db.transaction(async (tx) => {
        const current = await this.visibleOwner(tx, user, id);
        // A new type re-checks the stored number against it (and vice versa).
        const idType = patch.idType ?? current.id_type;
        const nationalId = patch.nationalId ?? (patch.idType !== undefined ? this.cipher.open(current.national_id_enc, 'owner.national_id') : undefined);
        const sealed = this.sealInput({ ...patch, idType, nationalId }, 'body.');
        if (sealed.nationalIdIndex) {
          const existing = await repo.ownerIdByIndex(tx, sealed.nationalIdIndex);
          if (existing !== undefined && existing !== id) throw duplicateId(existing);
        }
        if (patch.userId != null) await this.assertOwnerLogin(tx, patch.userId, id);
        await repo.updateOwner(tx, id, sealed);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'owner.updated', targetType: 'owner', targetId: id, ip, details: { fields: presentFields(patch) } });
      });
    } catch (err) {
      if (isUniqueViolation(err, NATIONAL_ID_UNIQUE)) throw duplicateId();
      throw err;
    }
    return this.get(user, id);
  }

  /** The clear ID number, for roles allowed it (the route checks), with the reason audited every time. */
  async revealNationalId(user: SessionUser, id: number, reason: string, ip?: string): Promise<{ nationalId: string; idType: IdType }> {
    return this.db.transaction(async (tx) => {
      const owner = await this.visibleOwner(tx, user, id);
      const nationalId = this.cipher.open(owner.national_id_enc, 'owner.national_id');
      // In the same transaction: if the audit row cannot be written, nothing is revealed.
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'owner.national_id_revealed', targetType: 'owner', targetId: id, ip, details: { reason } });
      return { nationalId, idType: owner.id_type };
    });
  }

  /**
   * An owner's clear contacts for the system's own messages (billing notices): no user,
   * no masking, so callers must neither log nor store them in clear. `db` lets a caller
   * holding a connection (PGlite has only one) read through it. Undefined if no such owner.
   */
  async contactFor(ownerId: number, db: Queryable = this.db): Promise<{ name: string; email: string | null; phone: string | null } | undefined> {
    const { rows } = await db.query<{ name: string; email_enc: Buffer | null; phone_enc: Buffer | null }>('SELECT name, email_enc, phone_enc FROM owners WHERE id = $1', [ownerId]);
    if (!rows[0]) return undefined;
    return { name: rows[0].name, email: this.cipher.openOptional(rows[0].email_enc, 'owner.email'), phone: this.cipher.openOptional(rows[0].phone_enc, 'owner.phone') };
  }

  /** Seals what the input gives; undefined fields stay undefined (unchanged), null clears. Validates the ID number for its type. */
  sealInput(input: OwnerPatch, fieldPrefix: string): Partial<repo.SealedOwner> {
    const out: Partial<repo.SealedOwner> = {};
    if (input.name !== undefined) out.name = input.name;
    if (input.idType !== undefined) out.idType = input.idType;
    if (input.nationalId !== undefined) {
      const normalised = normaliseNationalId(input.nationalId);
      const problem = nationalIdProblem(normalised, input.idType ?? 'resident_id');
      if (problem) throw invalidField(`${fieldPrefix}nationalId`, problem);
      out.idType ??= 'resident_id';
      out.nationalIdEnc = this.cipher.seal(normalised, 'owner.national_id');
      out.nationalIdIndex = this.cipher.blindIndex(normalised, 'owner.national_id');
    }
    if (input.phone !== undefined) out.phoneEnc = this.cipher.sealOptional(input.phone, 'owner.phone');
    if (input.email !== undefined) out.emailEnc = this.cipher.sealOptional(input.email, 'owner.email');
    if (input.userId !== undefined) out.userId = input.userId;
    if (input.notes !== undefined) out.notes = input.notes;
    return out;
  }

  present(user: SessionUser, r: repo.OwnerRow): OwnerView {
    const self = user.role === 'owner' && r.user_id === user.id;
    const clear = self || canReadContacts(user);
    const phone = this.cipher.openOptional(r.phone_enc, 'owner.phone');
    const email = this.cipher.openOptional(r.email_enc, 'owner.email');
    return {
      id: r.id,
      name: r.name,
      idType: r.id_type,
      nationalIdMasked: maskNationalId(this.cipher.open(r.national_id_enc, 'owner.national_id')),
      phone: phone === null ? null : clear ? phone : maskPhone(phone),
      email: email === null ? null : clear ? email : maskEmail(email),
      contactsMasked: !clear,
      userId: r.user_id,
      username: r.username,
      // Free text the office wrote: theirs, not the control room's.
      notes: canReadContacts(user) ? r.notes : null,
      units: r.units,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private scope(user: SessionUser): Pick<repo.OwnerSearch, 'userBuildings' | 'selfUserId'> {
    return { userBuildings: user.buildings, selfUserId: user.role === 'owner' ? user.id : undefined };
  }

  private async visibleOwner(db: Queryable, user: SessionUser, id: number): Promise<repo.OwnerRow> {
    const { rows } = await repo.searchOwners(db, { id, ...this.scope(user), limit: 1, offset: 0 });
    if (!rows[0]) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no owner ${id}`);
    return rows[0];
  }

  private async assertOwnerLogin(db: Queryable, userId: number, ownerId: number | null): Promise<void> {
    const login = await repo.ownerLogin(db, userId);
    if (!login) throw invalidField('body.userId', `no user ${userId}`);
    if (login.role !== 'owner') throw invalidField('body.userId', `user ${userId} is not an owner-portal login (role ${login.role})`);
    if (login.linkedOwnerId !== null && login.linkedOwnerId !== ownerId) throw conflictingField('body.userId', `user ${userId} is already linked to owner ${login.linkedOwnerId}`);
  }
}

function duplicateId(existing?: number): WardenError {
  return conflictingField('body.nationalId', existing === undefined ? 'an owner with this ID number is already recorded' : `an owner with this ID number is already recorded (owner ${existing})`);
}

/** Which fields an input set, for the audit log: names, never values. */
function presentFields(input: OwnerPatch): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}
