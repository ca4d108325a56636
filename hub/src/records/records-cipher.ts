import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** The personal-data fields that are sealed; each is the associated data of its own ciphertexts. */
export type SealedField = 'owner.national_id' | 'owner.phone' | 'owner.email';

/** First byte of every sealed value: which key sealed it, so a rotated key can be introduced beside the old one. */
const KEY_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.from('warden.records.v1');

/**
 * Encryption at rest of owners' personal data and its blind index.
 *
 * - AES-256-GCM with a random 96-bit IV per value (NIST SP 800-38D §8.2.2: random IVs
 *   are safe for up to 2^32 values under one key, far beyond an estate's owners). The
 *   field name is the associated data, so a ciphertext copied into another column
 *   does not decrypt.
 * - The blind index is HMAC-SHA256 of the normalised value: equal values give equal
 *   indexes (exact lookup, a UNIQUE constraint) while the database holds no clear value.
 * - The encryption, index and key-check keys are derived from the one master key with
 *   HKDF (RFC 5869), so no key serves two purposes.
 */
export class RecordsCipher {
  private readonly encryptionKey: Buffer;
  private readonly indexKey: Buffer;
  private readonly checkKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the records master key must be 32 bytes');
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, purpose, 32));
    this.encryptionKey = derive('aes-256-gcm');
    this.indexKey = derive('blind-index');
    this.checkKey = derive('key-check');
  }

  seal(plain: string, field: SealedField): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(field));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([KEY_VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Throws if the value was sealed under another key or field, or altered. */
  open(sealed: Buffer, field: SealedField): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== KEY_VERSION) throw new Error(`${field}: not a value sealed with key version ${KEY_VERSION}`);
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(field));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  sealOptional(plain: string | null | undefined, field: SealedField): Buffer | null {
    return plain == null || plain === '' ? null : this.seal(plain, field);
  }

  openOptional(sealed: Buffer | null, field: SealedField): string | null {
    return sealed === null ? null : this.open(sealed, field);
  }

  /** The blind index of an already normalised value (see normaliseNationalId). */
  blindIndex(normalised: string, field: SealedField): Buffer {
    return createHmac('sha256', this.indexKey).update(field).update('\0').update(normalised).digest();
  }

  /** A value derived from the key that identifies it without revealing it (stored in the database to catch a wrong key). */
  keyCheck(): string {
    return createHmac('sha256', this.checkKey).update('warden records key check').digest('base64url');
  }
}
