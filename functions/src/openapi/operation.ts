/**
 * How a route describes itself for the OpenAPI document (runs in workerd). A route group declares
 * each operation once with its zod schemas; the handler validates with the same schemas, so the
 * document cannot drift from what the code accepts.
 */
import type { ErrorCode, RoleKind } from "@cce4long/protocol";
import type { z } from "zod";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface OperationSpec {
  method: HttpMethod;
  /** OpenAPI form, e.g. /v1/datasets/{datasetId}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles that may call it; omitted for public operations. */
  roles?: RoleKind[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /** Problem codes this operation can answer with, beyond the ones every operation can. */
  errors?: ErrorCode[];
}

export function defineOperation<const O extends OperationSpec>(operation: O): O {
  return operation;
}

/** The Hono path for an OpenAPI path: {name} -> :name. */
export function honoPath(operation: Pick<OperationSpec, "path">): string {
  return operation.path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}
