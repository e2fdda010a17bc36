// The one error class of Vigil: a kind that the API maps to an HTTP status, a message safe to show, and a cause.

/** What went wrong, independent of any transport. */
export type ErrorKind =
  | 'BadRequest'
  | 'Unauthenticated'
  | 'AccessDenied'
  | 'NotFound'
  | 'Conflict'
  | 'TooManyRequests'
  | 'Unavailable';

/** The error every layer throws; `message` must never contain a secret. */
export class VigilError extends Error {
  readonly kind: ErrorKind;
  /** Optional machine-readable details (field errors, ids); never secrets. */
  readonly details?: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.kind = kind;
    this.details = options?.details;
  }

  static badRequest(message: string, details?: Record<string, unknown>): VigilError {
    return new VigilError('BadRequest', message, { details });
  }
  static notFound(what: string): VigilError {
    return new VigilError('NotFound', `${what} not found`);
  }
  static denied(message = 'You do not have permission to do this'): VigilError {
    return new VigilError('AccessDenied', message);
  }
  static conflict(message: string): VigilError {
    return new VigilError('Conflict', message);
  }
  static unavailable(message: string, cause?: unknown): VigilError {
    return new VigilError('Unavailable', message, { cause });
  }
}

/** True when `err` is a VigilError of the given kind (or any kind when omitted). */
export function isVigilError(err: unknown, kind?: ErrorKind): err is VigilError {
  return err instanceof VigilError && (kind === undefined || err.kind === kind);
}
