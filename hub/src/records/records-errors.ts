import { WardenError } from '../http/errors.js';

/** A 400 naming the field, in the same shape as the schema validation's (details.issues). */
export function invalidField(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_VALIDATION', `${field}: ${message}`, { issues: [{ field, message }] });
}

/** A 409 naming the field that clashes with what is recorded. */
export function conflictingField(field: string, message: string): WardenError {
  return new WardenError('WARDEN_ERR_CONFLICT', `${field}: ${message}`, { issues: [{ field, message }] });
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23503';
}
