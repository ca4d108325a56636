import { WardenError } from '../http/errors.js';

/** A 400 naming the field, in the shape of the schema validation's (details.issues). */
export function fieldError(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

/** A 400 naming several fields at once. */
export function fieldErrors(issues: { field: string; message: string }[]): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}
