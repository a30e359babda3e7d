/**
 * The one mapping from anything thrown in the edge API to an RFC 9457 problem+json response
 * (runs in workerd). Known errors keep their stable code and caller-safe message; everything else is
 * INTERNAL with a generic message, and the detail goes only to the log.
 */
import {
  Cce4longError,
  ERROR_CODES,
  type ErrorCode,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemTypeFor,
  type ValidationIssue,
} from "@cce4long/protocol";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A request that did not match its schema; the issues name fields, never their values. */
export class ValidationError extends Cce4longError {
  readonly issues: ValidationIssue[];

  constructor(where: string, issues: ValidationIssue[]) {
    super("VALIDATION_FAILED", `The request ${where} failed validation`);
    this.issues = issues;
  }
}

/** Statuses Hono's own middleware raises, and the code each means here. */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "AUTH_REQUIRED",
  403: "AUTH_FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

export interface ProblemContext {
  requestId: string | undefined;
  path: string;
}

export function toProblem(error: unknown, context: ProblemContext): Problem {
  const { code, message, issues } = classify(error);
  const { status, title } = ERROR_CODES[code];
  return {
    type: problemTypeFor(code),
    title,
    status,
    detail: message,
    instance: context.path,
    code,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    ...(issues === undefined ? {} : { errors: issues }),
  };
}

/**
 * The problem as this request's response. Through the context, so headers that middleware already
 * set (x-request-id, CORS, rate-limit) are kept.
 */
export function problemBody(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    "content-type": PROBLEM_CONTENT_TYPE,
  });
}

/** What the log gets for an error: everything the caller does not. */
export function logError(error: unknown, context: ProblemContext): void {
  const { code } = classify(error);
  const entry = {
    level: ERROR_CODES[code].status >= 500 ? "error" : "warn",
    requestId: context.requestId,
    path: context.path,
    code,
    name: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : undefined,
    detail: error instanceof Cce4longError ? error.detail : undefined,
    cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
  };
  if (entry.level === "error") console.error(JSON.stringify(entry));
  else console.warn(JSON.stringify(entry));
}

function classify(error: unknown): { code: ErrorCode; message: string; issues?: ValidationIssue[] } {
  if (error instanceof ValidationError)
    return { code: error.code, message: error.message, issues: error.issues };
  if (error instanceof Cce4longError) return { code: error.code, message: error.message };
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status] ?? (error.status >= 500 ? "INTERNAL" : "BAD_REQUEST");
    // Hono's messages ("Malformed JSON in request body") are written for callers and carry no input.
    return { code, message: error.message || ERROR_CODES[code].title };
  }
  return { code: "INTERNAL", message: "An internal error occurred" };
}
