import { z } from 'zod';
import { idTypes, nationalIdProblem, normaliseNationalId } from './personal-data.js';
import { associationRoles, unitStatuses } from './units.repository.js';

/**
 * The columns of each CSV import, one zod schema per row. Header names are matched
 * case-insensitively, with spaces or hyphens read as "_"; columns may come in any order;
 * empty cells count as absent. The column a problem is in is the `field` of its rejection.
 * A row is checked against the database (duplicates, buildings, floors, units, logins)
 * once its cells are valid, so a row may show more problems after its first fix.
 *
 * units:  building*, number*, floor, area_m2, layout, location, status
 * owners: name*, national_id*, id_type, phone, email, building, unit, role, from_date
 *         (building + unit: associate the owner with that unit, as `role` (default owner)
 *          from `from_date` (default today))
 * staff:  name*, email*, position, phone, trades, buildings, active, username
 *         (trades and buildings: several separated by ";"; username: link an existing login)
 */

export const importKinds = ['units', 'owners', 'staff'] as const;
export type ImportKind = (typeof importKinds)[number];

const required = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected text') })
    .max(max, `at most ${max} characters`);
const optional = (max: number) => required(max).optional();

const decimal = z
  .string()
  .regex(/^\d+(\.\d{1,2})?$/, 'expected a number such as 89.5 (m², at most two decimals)')
  .transform(Number)
  .refine((n) => n > 0 && n < 1_000_000, 'expected an area above 0 and below 1,000,000 m²');

const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
export const phoneSchema = z.string().regex(/^\+?[\d\s()-]{5,24}$/, 'expected a phone number: digits, spaces, "-", "(", ")" and a leading "+"');
const email = z.email({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected an e-mail address') }).max(254);
export const tradeSchema = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a lower-case trade such as "plumbing"').max(40);

/** "a; b;c" → ["a", "b", "c"]. */
const list = (item: z.ZodString) =>
  z
    .string()
    .transform((v) => v.split(/[;|]/).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));

const yesNo = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false', 'yes', 'no', '1', '0', 'y', 'n', '是', '否'], { error: 'expected true or false' }))
  .transform((v) => ['true', 'yes', '1', 'y', '是'].includes(v));

export const unitRowSchema = z.strictObject({
  building: required(64),
  number: required(32),
  floor: optional(16),
  area_m2: decimal.optional(),
  layout: optional(64),
  location: optional(200),
  status: z.enum(unitStatuses, { error: `expected one of ${unitStatuses.join(', ')}` }).optional(),
});

export const ownerRowSchema = z
  .strictObject({
    name: required(100),
    national_id: required(40),
    id_type: z.enum(idTypes, { error: `expected one of ${idTypes.join(', ')}` }).optional(),
    phone: phoneSchema.optional(),
    email: email.optional(),
    building: optional(64),
    unit: optional(32),
    role: z.enum(associationRoles, { error: `expected one of ${associationRoles.join(', ')}` }).optional(),
    from_date: isoDate.optional(),
  })
  .superRefine((row, ctx) => {
    // Refinements may run on a row whose cells already failed; check only what is there.
    if (typeof row.national_id !== 'string') return;
    const problem = nationalIdProblem(normaliseNationalId(row.national_id), row.id_type ?? 'resident_id');
    if (problem) ctx.addIssue({ code: 'custom', path: ['national_id'], message: problem });
    if ((row.building === undefined) !== (row.unit === undefined)) {
      ctx.addIssue({ code: 'custom', path: [row.building === undefined ? 'building' : 'unit'], message: 'building and unit go together: both or neither' });
    }
    if (row.unit === undefined && (row.role !== undefined || row.from_date !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [row.role !== undefined ? 'role' : 'from_date'], message: 'only with a building and unit' });
    }
  });

export const staffRowSchema = z.strictObject({
  name: required(100),
  email,
  position: optional(100),
  phone: phoneSchema.optional(),
  trades: list(tradeSchema).optional(),
  buildings: list(z.string().max(64, 'a building id has at most 64 characters')).optional(),
  active: yesNo.optional(),
  username: optional(64),
});

export const rowSchemas = { units: unitRowSchema, owners: ownerRowSchema, staff: staffRowSchema } as const;

export type UnitImportRow = z.infer<typeof unitRowSchema>;
export type OwnerImportRow = z.infer<typeof ownerRowSchema>;
export type StaffImportRow = z.infer<typeof staffRowSchema>;

/** Columns that must be in the header. */
export const requiredColumns: Record<ImportKind, string[]> = {
  units: ['building', 'number'],
  owners: ['name', 'national_id'],
  staff: ['name', 'email'],
};

export const knownColumns: Record<ImportKind, string[]> = {
  units: Object.keys(unitRowSchema.shape),
  owners: ['name', 'national_id', 'id_type', 'phone', 'email', 'building', 'unit', 'role', 'from_date'],
  staff: Object.keys(staffRowSchema.shape),
};
