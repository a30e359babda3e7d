/**
 * Request validation against zod schemas (runs in workerd). JSON bodies: wrong content type ->
 * UNSUPPORTED_MEDIA_TYPE, unparsable JSON -> BAD_REQUEST (raised by Hono's validator). Bodies, path
 * parameters and query strings: mismatch -> VALIDATION_FAILED listing the failing fields (never values).
 */
import { Cce4longError } from "@cce4long/protocol";
import type { Context, Env, Input, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ValidationError } from "../errors/problem";

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export function jsonBody<S extends z.ZodType, E extends Env, P extends string>(schema: S) {
  return validator("json", (value, c: Context<E, P>) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new Cce4longError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
    }
    return parseOrThrow(schema, value, "body");
  }) as MiddlewareHandler<E, P, { in: { json: z.input<S> }; out: { json: z.output<S> } } & Input>;
}

export function pathParams<S extends z.ZodType, E extends Env, P extends string>(schema: S) {
  return validator("param", (value, _c: Context<E, P>) =>
    parseOrThrow(schema, value, "path"),
  ) as MiddlewareHandler<E, P, { in: { param: z.input<S> }; out: { param: z.output<S> } } & Input>;
}

export function queryParams<S extends z.ZodType, E extends Env, P extends string>(schema: S) {
  return validator("query", (value, _c: Context<E, P>) =>
    parseOrThrow(schema, value, "query"),
  ) as MiddlewareHandler<E, P, { in: { query: z.input<S> }; out: { query: z.output<S> } } & Input>;
}

/** Validates a value the same way, for handlers that read it themselves. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    where,
    parsed.error.issues.map((issue) => ({
      path: `/${issue.path.map(String).join("/")}`,
      message: issue.message,
    })),
  );
}
