/**
 * Calls from the edge API to the Privacy Plane (runs in workerd): review queues, review decisions and
 * job status. The Privacy Plane owns that state; the edge forwards on behalf of a caller it has
 * authenticated, naming the caller in `x-cce4long-caller` and itself with the bearer
 * PRIVACY_PLANE_API_TOKEN (required in production; the Privacy Plane compares it in constant time).
 */
import { Cce4longError, ERROR_CODES, type ErrorCode, isErrorCode } from "@cce4long/protocol";
import type { z } from "zod";
import type { Config } from "../config";

/** Codes the Privacy Plane may answer with that the caller should see as they are. */
const PASSED_THROUGH: ReadonlySet<ErrorCode> = new Set([
  "NOT_FOUND",
  "JOB_NOT_FOUND",
  "JOB_INVALID_STATE",
  "CONFLICT",
  "AUTH_FORBIDDEN",
  "VALIDATION_FAILED",
]);
const TIMEOUT_MS = 10_000;

export interface ForwardOptions {
  /** The authenticated address the call is made for. */
  caller: string;
  requestId?: string;
  timeoutMs?: number;
}

export class PrivacyPlaneClient {
  constructor(
    private readonly config: Pick<Config, "PRIVACY_PLANE_URL" | "PRIVACY_PLANE_API_TOKEN">,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  get<S extends z.ZodType>(path: string, schema: S, options: ForwardOptions): Promise<z.output<S>> {
    return this.call("GET", path, undefined, schema, options);
  }

  post<S extends z.ZodType>(path: string, body: unknown, schema: S, options: ForwardOptions) {
    return this.call("POST", path, body, schema, options);
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: S,
    options: ForwardOptions,
  ): Promise<z.output<S>> {
    const url = `${this.config.PRIVACY_PLANE_URL.replace(/\/+$/, "")}${path}`;
    const token = this.config.PRIVACY_PLANE_API_TOKEN;
    let response: Response;
    try {
      response = await this.fetcher(url, {
        method,
        headers: {
          accept: "application/json",
          "x-cce4long-caller": options.caller,
          ...(options.requestId === undefined ? {} : { "x-request-id": options.requestId }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
      });
    } catch (error) {
      throw unavailable({ path, reason: "unreachable" }, error);
    }
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const code = (json as { code?: unknown } | undefined)?.code;
      if (response.status < 500 && isErrorCode(code) && PASSED_THROUGH.has(code)) {
        throw new Cce4longError(code, `${ERROR_CODES[code].title} (reported by the Privacy Plane)`, {
          detail: { path, status: response.status, upstream: json },
        });
      }
      throw unavailable({ path, reason: "refused", status: response.status, code });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw unavailable({ path, reason: "unexpected answer", issues: parsed.error.issues });
    return parsed.data;
  }
}

function unavailable(detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("PRIVACY_PLANE_UNAVAILABLE", "The Privacy Plane cannot be reached; try again", {
    cause,
    detail,
  });
}

export function privacyPlane(config: Config): PrivacyPlaneClient {
  return new PrivacyPlaneClient(config);
}
