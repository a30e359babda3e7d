/**
 * The error class every part of cce4long throws (runs anywhere).
 *
 * `message` is what a caller may see; it must never contain key material, plaintext, tokens or
 * secrets. Put diagnostic detail that the log may see (but the caller may not) in `detail`.
 */
import { ERROR_CODES, type ErrorCode } from "./codes";

export { ERROR_CODES, type ErrorCode, isErrorCode } from "./codes";

export interface Cce4longErrorOptions {
  cause?: unknown;
  /** Detail for logs only: never sent to a client. */
  detail?: Record<string, unknown>;
}

export class Cce4longError extends Error {
  override readonly name = "Cce4longError";
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: Cce4longErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isCce4longError(value: unknown): value is Cce4longError {
  return value instanceof Cce4longError;
}
