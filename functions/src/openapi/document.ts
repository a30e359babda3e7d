/**
 * Builds the OpenAPI 3.1 document from the operations' zod schemas (runs in workerd). OpenAPI 3.1
 * schema objects are JSON Schema 2020-12, which is zod 4's native z.toJSONSchema target, so no
 * translation layer is needed.
 */
import { ERROR_CODES, type ErrorCode, PROBLEM_CONTENT_TYPE, ProblemSchema } from "@cce4long/protocol";
import { z } from "zod";
import type { OperationSpec } from "./operation";

export const API_VERSION = "0.1.0";

/** Codes any operation may answer with, whatever it does. */
const UNIVERSAL_ERRORS: ErrorCode[] = ["BAD_REQUEST", "RATE_LIMITED", "INTERNAL", "CONFIG_INVALID"];
const BODY_ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
const AUTH_ERRORS: ErrorCode[] = ["AUTH_REQUIRED", "AUTH_INVALID", "AUTH_FORBIDDEN"];

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function parametersOf(object: z.ZodObject | undefined, where: "path" | "query"): JsonSchema[] {
  if (object === undefined) return [];
  const json = schemaOf(object, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema,
    ...(typeof schema.description === "string" ? { description: schema.description } : {}),
  }));
}

function errorCodesOf(operation: OperationSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(UNIVERSAL_ERRORS);
  if (operation.body !== undefined) for (const code of BODY_ERRORS) codes.add(code);
  if (operation.params !== undefined || operation.query !== undefined) codes.add("VALIDATION_FAILED");
  if (operation.roles !== undefined) for (const code of AUTH_ERRORS) codes.add(code);
  for (const code of operation.errors ?? []) codes.add(code);
  return [...codes];
}

function operationObject(operation: OperationSpec): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, spec] of Object.entries(operation.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema === undefined
        ? {}
        : {
            content: {
              [spec.contentType ?? "application/json"]: { schema: schemaOf(spec.schema, "output") },
            },
          }),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(operation)) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `Problem: ${codes.join(", ")}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  const roles = operation.roles;
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    tags: [operation.tag],
    ...(roles === undefined ? {} : { security: [{ bearer: [] }], "x-cce4long-roles": roles }),
    parameters: [...parametersOf(operation.params, "path"), ...parametersOf(operation.query, "query")],
    ...(operation.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaOf(operation.body, "input") } },
          },
        }),
    responses,
  };
}

export function buildOpenApiDocument(operations: readonly OperationSpec[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = operationObject(operation);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "cce4long edge API",
      version: API_VERSION,
      description:
        "Public HTTP API of cce4long, the confidential computing engine for longevity data. " +
        "Errors are RFC 9457 problem details with a stable `code`; send `x-request-id` to correlate logs.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: "/" }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Problem: schemaOf(ProblemSchema, "output") },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "A token from POST /v1/auth/verify (Sign-In with Ethereum)",
        },
      },
    },
    "x-cce4long-error-codes": Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, { status, title }]) => [code, { status, title }]),
    ),
  };
}
