/**
 * Personal data of owners: how ID numbers are normalised and checked, and how
 * values are masked for people who may not see them in clear.
 */

export const idTypes = ['resident_id', 'passport', 'other'] as const;
export type IdType = (typeof idTypes)[number];

/** Spaces, hyphens and case do not make a different ID number: "110101 19900307 123x" is "11010119900307123X". */
export function normaliseNationalId(value: string): string {
  return value.replace(/[\s-]/g, '').toUpperCase();
}

// GB 11643-1999: weights of the 17 digits, and the check character for sum mod 11.
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_ID_CHECK = '10X98765432';

/** The check character (0-9 or X) of the first 17 digits of a resident ID number (ISO 7064 MOD 11-2). */
export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * RESIDENT_ID_WEIGHTS[i];
  return RESIDENT_ID_CHECK[sum % 11];
}

/** Why a (normalised) ID number is not valid for its type, or null if it is. Never echoes the number. */
export function nationalIdProblem(normalised: string, type: IdType): string | null {
  if (type === 'resident_id') {
    if (!/^\d{17}[\dX]$/.test(normalised)) return 'a resident ID number has 18 characters: 17 digits and a digit or X';
    const month = Number(normalised.slice(10, 12));
    const day = Number(normalised.slice(12, 14));
    if (month < 1 || month > 12 || day < 1 || day > 31) return 'the date of birth in the ID number is not a date';
    if (residentIdCheckChar(normalised) !== normalised[17]) return 'the check digit of the ID number does not match (a mistyped digit?)';
    return null;
  }
  if (!/^[0-9A-Z]{5,32}$/.test(normalised)) return 'expected 5 to 32 letters and digits';
  return null;
}

/** "110101199003071234" → "110***********1234": the region and the last four, as on a printed receipt. */
export function maskNationalId(value: string): string {
  if (value.length >= 10) return `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
  return `${'*'.repeat(Math.max(0, value.length - 2))}${value.slice(-2)}`;
}

/** "13812345678" → "138****5678". */
export function maskPhone(value: string): string {
  const digits = value.replace(/[^\d+]/g, '');
  if (digits.length >= 8) return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
  return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}

/** "zhang.wei@example.com" → "z***@example.com". */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${value[0]}***${value.slice(at)}`;
}
