/**
 * The one catalogue of coded errors. A code is stable once published: clients
 * (the dashboard, integrators) branch on it, never on the message text.
 */
export const errorCatalogue = {
  WARDEN_ERR_VALIDATION: { status: 400, message: 'The request is invalid' },
  WARDEN_ERR_AUTH_REQUIRED: { status: 401, message: 'Log in first' },
  WARDEN_ERR_AUTH_FAILED: { status: 401, message: 'Wrong username or password' },
  WARDEN_ERR_SESSION_EXPIRED: { status: 401, message: 'The session has expired; log in again' },
  WARDEN_ERR_FORBIDDEN: { status: 403, message: 'Your role does not allow this' },
  /** An administrator set this user's password (new account or reset): only choosing their own (POST /api/auth/password), /api/auth/me and logout answer until then. */
  WARDEN_ERR_PASSWORD_CHANGE_REQUIRED: { status: 403, message: 'Choose your own password first (POST /api/auth/password)' },
  WARDEN_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  WARDEN_ERR_CONFLICT: { status: 409, message: 'Conflicts with the current state' },
  WARDEN_ERR_INVALID_TRANSITION: { status: 409, message: 'This step is not allowed from the current status' },
  WARDEN_ERR_UNSUITABLE_ASSIGNEE: { status: 409, message: 'This person cannot take this work order' },
  WARDEN_ERR_NO_CANDIDATE: { status: 409, message: 'Nobody suitable is available for this work order' },
  /** A spare-parts issue or adjustment needs more than the store holds: nothing changed; details name part, store, available, requested. */
  WARDEN_ERR_INSUFFICIENT_STOCK: { status: 409, message: 'Not enough stock in the store' },
  WARDEN_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  /** A records import with rejected rows: nothing was imported; details carry the per-row report. */
  WARDEN_ERR_IMPORT_REJECTED: { status: 422, message: 'Some rows were rejected; nothing was imported' },
  WARDEN_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'Send application/json' },
  WARDEN_ERR_RATE_LIMITED: { status: 429, message: 'Too many attempts; wait and try again' },
  WARDEN_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  WARDEN_ERR_UNAVAILABLE: { status: 503, message: 'A dependency is unavailable' },
  WARDEN_ERR_DEVICE_TIMEOUT: { status: 504, message: 'The device did not answer in time' },
  /** The device's birth does not list the command among its capabilities: nothing was sent. */
  WARDEN_ERR_UNSUPPORTED_COMMAND: { status: 409, message: 'The device does not accept this command' },
  /** The device's agent is offline: a command would be lost (clean sessions), so none was sent. */
  WARDEN_ERR_DEVICE_OFFLINE: { status: 409, message: 'The device is offline' },
  /** The agent answered, but not "ok" (error, rejected, unsupported, expired); details carry the ack. */
  WARDEN_ERR_COMMAND_FAILED: { status: 409, message: 'The device did not carry out the command' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class WardenError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'WardenError';
    this.status = errorCatalogue[code].status;
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
