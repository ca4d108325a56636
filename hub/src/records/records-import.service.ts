import type pg from 'pg';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { CsvSyntaxError, headerKey, parseCsv, type CsvRecord } from './csv-reader.js';
import * as owners from './owners.repository.js';
import { normaliseNationalId } from './personal-data.js';
import type { RecordsCipher } from './records-cipher.js';
import { isUniqueViolation } from './records-errors.js';
import { knownColumns, requiredColumns, rowSchemas, type ImportKind, type OwnerImportRow, type StaffImportRow, type UnitImportRow } from './records-import.schemas.js';
import * as staff from './staff-records.repository.js';
import * as units from './units.repository.js';

export interface Rejection {
  /** Spreadsheet row: the header is 1. */
  row: number;
  /** The column (header name), or "header" / "file". */
  field: string;
  message: string;
}

export interface ImportReport {
  kind: ImportKind;
  dryRun: boolean;
  /** Data rows in the file. */
  rows: number;
  /** Rows that passed every check. */
  accepted: number;
  /** Rows written: all of them, or none. */
  imported: number;
  rejected: Rejection[];
}

/** Enough for an estate's records in one file; bigger exports go in parts. */
export const MAX_IMPORT_ROWS = 20_000;
/** The report lists at most this many problems (the counts stay exact). */
const MAX_REPORTED = 1_000;
/** Imports run one at a time, so two files cannot both pass the duplicate checks ("WIMP"). */
const IMPORT_LOCK = 0x57494d50;

interface Parsed<T> {
  row: number;
  value: T;
}

/**
 * CSV imports of units, owners and staff: every row is validated (zod, then against
 * what is recorded and against the other rows), and either all rows are imported in
 * one transaction or none. A dry run does the same checks and writes nothing.
 * The audit log gets the counts, never the rows.
 */
export class RecordsImportService {
  constructor(
    private readonly db: Database,
    private readonly cipher: RecordsCipher,
  ) {}

  async run(user: SessionUser, kind: ImportKind, text: string, dryRun: boolean, ip?: string): Promise<ImportReport> {
    const rejected: Rejection[] = [];
    const reject = (row: number, field: string, message: string) => rejected.push({ row, field, message });
    const { records, header } = this.readFile(kind, text, reject);
    // A column missing from the header is reported once, on row 1, not again on every row.
    const missing = new Set(requiredColumns[kind].filter((c) => !header.includes(c)));

    const valid: Parsed<Record<string, unknown>>[] = [];
    for (const record of records) {
      const raw: Record<string, string> = {};
      header.forEach((column, i) => {
        const cell = (record.fields[i] ?? '').trim();
        if (column && cell !== '') raw[column] = cell;
      });
      if (record.fields.length > header.length && record.fields.slice(header.length).some((f) => f.trim() !== '')) {
        reject(record.row, 'file', `${record.fields.length} cells, but the header names ${header.length} columns`);
        continue;
      }
      const parsed = rowSchemas[kind].safeParse(raw);
      if (parsed.success) valid.push({ row: record.row, value: parsed.data });
      else {
        for (const issue of parsed.error.issues) {
          const field = String(issue.path[0] ?? 'file');
          if (!missing.has(field)) reject(record.row, field, issue.message);
        }
      }
    }

    const outcome = await this.db
      .transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
        const write = kind === 'units' ? await this.checkUnits(tx, user, valid as Parsed<UnitImportRow>[], reject)
          : kind === 'owners' ? await this.checkOwners(tx, user, valid as Parsed<OwnerImportRow>[], reject)
          : await this.checkStaff(tx, user, valid as Parsed<StaffImportRow>[], reject);
        if (dryRun || rejected.length) return { imported: 0 };
        await write();
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'records.imported', targetType: 'import', targetId: kind, ip, details: { kind, rows: records.length, imported: records.length } });
        return { imported: records.length };
      })
      .catch((err: unknown) => {
        // Another writer got there between our checks and our inserts (the lock covers imports, not the API).
        if (isUniqueViolation(err)) throw new WardenError('WARDEN_ERR_CONFLICT', 'a record in the file was created meanwhile by someone else; nothing was imported; run the import again to see which');
        throw err;
      });

    const rejectedRows = new Set(rejected.map((r) => r.row)).size;
    const report: ImportReport = {
      kind,
      dryRun,
      rows: records.length,
      // Rows with no problem of their own; problems of the header (row 1) block the import all the same.
      accepted: records.length - new Set(rejected.filter((r) => r.row > 1).map((r) => r.row)).size,
      imported: outcome.imported,
      // By row, then in the order of the file's columns, as the clerk reads the sheet.
      rejected: rejected.sort((a, b) => a.row - b.row || columnOrder(header, a.field) - columnOrder(header, b.field)).slice(0, MAX_REPORTED),
    };
    if (!dryRun && rejected.length) {
      await recordAudit(this.db, { userId: user.id, actor: user.username, action: 'records.import_rejected', targetType: 'import', targetId: kind, ip, details: { kind, rows: records.length, rejectedRows, problems: rejected.length } });
      throw new WardenError('WARDEN_ERR_IMPORT_REJECTED', `${rejectedRows} of ${records.length} rows were rejected; nothing was imported`, report);
    }
    return report;
  }

  /** Records and the column each cell belongs to (undefined: a column we do not know, already rejected). */
  private readFile(kind: ImportKind, text: string, reject: (row: number, field: string, message: string) => void): { records: CsvRecord[]; header: (string | undefined)[] } {
    let all: CsvRecord[];
    try {
      all = parseCsv(text);
    } catch (err) {
      if (!(err instanceof CsvSyntaxError)) throw err;
      reject(err.row, 'file', err.message);
      return { records: [], header: [] };
    }
    const [first, ...records] = all;
    if (!first) {
      reject(1, 'file', `the file is empty; the first row names the columns: ${knownColumns[kind].join(', ')}`);
      return { records: [], header: [] };
    }
    if (records.length > MAX_IMPORT_ROWS) {
      reject(1, 'file', `${records.length} rows: at most ${MAX_IMPORT_ROWS} per file`);
      return { records: [], header: [] };
    }
    const seen = new Set<string>();
    const header = first.fields.map((name) => {
      const key = headerKey(name);
      if (key === '') return undefined;
      if (!knownColumns[kind].includes(key)) {
        reject(1, name.trim(), `unknown column; the columns are ${knownColumns[kind].join(', ')}`);
        return undefined;
      }
      if (seen.has(key)) {
        reject(1, name.trim(), 'this column appears twice');
        return undefined;
      }
      seen.add(key);
      return key;
    });
    for (const column of requiredColumns[kind]) if (!seen.has(column)) reject(1, column, 'required column missing from the header');
    if (!records.length) reject(1, 'file', 'no rows below the header');
    return { records, header };
  }

  private async checkUnits(tx: pg.PoolClient, user: SessionUser, rows: Parsed<UnitImportRow>[], reject: (row: number, field: string, message: string) => void): Promise<() => Promise<void>> {
    const buildingIds = [...new Set(rows.map((r) => r.value.building))];
    const known = await staff.existingBuildings(tx, buildingIds);
    const floors = await units.floorIndex(tx, buildingIds);
    const { rows: existing } = await tx.query<{ building_id: string; number: string }>(
      'SELECT building_id, number FROM units WHERE building_id = ANY($1::text[])',
      [buildingIds],
    );
    const taken = new Set(existing.map((u) => `${u.building_id}\u0000${u.number}`));
    const inFile = new Map<string, number>();
    const toInsert: (units.NewUnit & { row: number })[] = [];
    for (const { row, value: u } of rows) {
      let ok = true;
      const fail = (field: string, message: string) => {
        reject(row, field, message);
        ok = false;
      };
      if (!known.has(u.building)) fail('building', `no building ${u.building}`);
      else if (!canSeeBuilding(user, u.building)) fail('building', 'not one of your buildings');
      const key = `${u.building}\u0000${u.number}`;
      if (taken.has(key)) fail('number', `building ${u.building} already has a unit ${u.number}`);
      else if (inFile.has(key)) fail('number', `the same unit as row ${inFile.get(key)}`);
      else inFile.set(key, row);
      const floorId = u.floor === undefined ? null : floors.get(units.floorKey(u.building, u.floor));
      if (u.floor !== undefined && floorId === undefined && known.has(u.building)) fail('floor', `no floor "${u.floor}" in building ${u.building}`);
      if (ok) {
        toInsert.push({ row, buildingId: u.building, floorId: floorId ?? null, number: u.number, location: u.location ?? null, areaM2: u.area_m2 ?? null, layout: u.layout ?? null, status: u.status ?? 'vacant' });
      }
    }
    return async () => {
      for (const u of toInsert) await units.insertUnit(tx, u, { userId: user.id, actor: user.username, reason: 'imported' });
    };
  }

  private async checkOwners(tx: pg.PoolClient, user: SessionUser, rows: Parsed<OwnerImportRow>[], reject: (row: number, field: string, message: string) => void): Promise<() => Promise<void>> {
    const normalised = rows.map((r) => normaliseNationalId(r.value.national_id));
    const indexes = normalised.map((id) => this.cipher.blindIndex(id, 'owner.national_id'));
    const recorded = await owners.ownersByIndexes(tx, indexes);
    const unitKeys = rows.filter((r) => r.value.unit !== undefined).map((r) => [r.value.building!, r.value.unit!] as const);
    const { rows: unitRows } = await tx.query<{ id: number; building_id: string; number: string }>(
      'SELECT u.id, u.building_id, u.number FROM units u JOIN unnest($1::text[], $2::text[]) AS k(building_id, number) ON k.building_id = u.building_id AND k.number = u.number',
      [unitKeys.map((k) => k[0]), unitKeys.map((k) => k[1])],
    );
    const unitIds = new Map(unitRows.map((u) => [`${u.building_id}\u0000${u.number}`, u.id]));
    const inFile = new Map<string, number>();
    const toInsert: { owner: owners.SealedOwner; unitId: number | null; role: units.AssociationRole; fromDate: string | null }[] = [];
    rows.forEach(({ row, value: o }, i) => {
      let ok = true;
      const fail = (field: string, message: string) => {
        reject(row, field, message);
        ok = false;
      };
      const key = indexes[i].toString('hex');
      // The messages never repeat the number: the report is shown on screens and may be shared.
      if (recorded.has(key)) fail('national_id', `an owner with this ID number is already recorded (owner ${recorded.get(key)})`);
      else if (inFile.has(key)) fail('national_id', `the same ID number as row ${inFile.get(key)}`);
      else inFile.set(key, row);
      let unitId: number | null = null;
      if (o.unit !== undefined) {
        unitId = unitIds.get(`${o.building}\u0000${o.unit}`) ?? null;
        if (unitId === null) fail('unit', `no unit ${o.unit} in building ${o.building}`);
        else if (!canSeeBuilding(user, o.building)) fail('building', 'not one of your buildings');
      }
      if (!ok) return;
      toInsert.push({
        owner: {
          name: o.name,
          idType: o.id_type ?? 'resident_id',
          nationalIdEnc: this.cipher.seal(normalised[i], 'owner.national_id'),
          nationalIdIndex: indexes[i],
          phoneEnc: this.cipher.sealOptional(o.phone, 'owner.phone'),
          emailEnc: this.cipher.sealOptional(o.email, 'owner.email'),
          userId: null,
          notes: null,
        },
        unitId,
        role: o.role ?? 'owner',
        fromDate: o.from_date ?? null,
      });
    });
    return async () => {
      for (const o of toInsert) {
        const ownerId = await owners.insertOwner(tx, o.owner);
        if (o.unitId === null) continue;
        // Without a from_date: from today where the unit is.
        await tx.query(
          `INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by)
           SELECT u.id, $2, $3, coalesce($4::date, (now() AT TIME ZONE s.timezone)::date), $5
             FROM units u JOIN buildings b ON b.id = u.building_id JOIN sites s ON s.id = b.site_id WHERE u.id = $1`,
          [o.unitId, ownerId, o.role, o.fromDate, user.username],
        );
      }
    };
  }

  private async checkStaff(tx: pg.PoolClient, user: SessionUser, rows: Parsed<StaffImportRow>[], reject: (row: number, field: string, message: string) => void): Promise<() => Promise<void>> {
    const emails = await staff.staffIdByEmails(tx, rows.map((r) => r.value.email));
    const logins = await staff.usersByName(tx, rows.flatMap((r) => (r.value.username ? [r.value.username] : [])));
    const knownBuildings = await staff.existingBuildings(tx, [...new Set(rows.flatMap((r) => r.value.buildings ?? []))]);
    const emailInFile = new Map<string, number>();
    const loginInFile = new Map<number, number>();
    const toInsert: { fields: staff.StaffFields; buildings: string[] }[] = [];
    for (const { row, value: s } of rows) {
      let ok = true;
      const fail = (field: string, message: string) => {
        reject(row, field, message);
        ok = false;
      };
      const email = s.email.toLowerCase();
      if (emails.has(email)) fail('email', `staff ${emails.get(email)} has this e-mail address`);
      else if (emailInFile.has(email)) fail('email', `the same e-mail address as row ${emailInFile.get(email)}`);
      else emailInFile.set(email, row);
      const unknown = (s.buildings ?? []).filter((b) => !knownBuildings.has(b));
      if (unknown.length) fail('buildings', `no building ${unknown.join(', ')}`);
      else if (user.buildings.length && (!s.buildings?.length || s.buildings.some((b) => !user.buildings.includes(b)))) fail('buildings', 'not within your buildings');
      let userId: number | null = null;
      if (s.username !== undefined) {
        const login = logins.get(s.username.toLowerCase());
        if (!login) fail('username', `no user ${s.username}`);
        else if (login.role === 'owner') fail('username', `${s.username} is an owner-portal login, not staff`);
        else if (login.staffId !== null) fail('username', `${s.username} is already linked to staff ${login.staffId}`);
        else if (loginInFile.has(login.id)) fail('username', `the same login as row ${loginInFile.get(login.id)}`);
        else {
          loginInFile.set(login.id, row);
          userId = login.id;
        }
      }
      if (!ok) continue;
      toInsert.push({
        fields: { name: s.name, position: s.position ?? null, phone: s.phone ?? null, email: s.email, trades: [...new Set(s.trades ?? [])], active: s.active ?? true, userId },
        buildings: [...new Set(s.buildings ?? [])],
      });
    }
    return async () => {
      for (const s of toInsert) await staff.insertStaff(tx, s.fields, s.buildings);
    };
  }
}

function columnOrder(header: (string | undefined)[], field: string): number {
  const i = header.indexOf(field);
  return i === -1 ? header.length : i;
}
