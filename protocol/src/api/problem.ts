/**
 * RFC 9457 problem details as the edge API sends them (application/problem+json); runs anywhere.
 * `code` is the stable machine-readable code from errors/codes.ts; clients branch on it, not on text.
 */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../errors/codes";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const errorCodeValues = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** One failed field of a request that did not validate; never carries the submitted value. */
export const ValidationIssueSchema = z.object({
  path: z.string().meta({ description: "JSON-pointer-like path of the field, e.g. /role/datasetId" }),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .meta({ description: "URI naming the problem type (about:blank or a cce4long code URN)" }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional().meta({ description: "Human-readable explanation for this occurrence" }),
    instance: z.string().optional().meta({ description: "The request path" }),
    code: z.enum(errorCodeValues),
    requestId: z.string().optional().meta({ description: "Echoes the x-request-id response header" }),
    errors: z.array(ValidationIssueSchema).optional(),
  })
  .meta({ description: "RFC 9457 problem details" });
export type Problem = z.infer<typeof ProblemSchema>;

/** The problem `type` URI for a code: stable, resolvable to the code list in the API reference. */
export function problemTypeFor(code: ErrorCode): string {
  return `urn:cce4long:error:${code}`;
}
