/**
 * Canonical JSON for hashing (runs anywhere): object keys sorted by UTF-16 code units, no
 * whitespace, undefined properties dropped. For strings, finite numbers, booleans, null, arrays and
 * plain objects this is the JSON Canonicalization Scheme (RFC 8785), because JSON.stringify already
 * formats numbers and escapes strings as RFC 8785 requires.
 */
import { Cce4longError } from "../errors/index";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new Cce4longError("VALIDATION_FAILED", "canonical JSON has no NaN or Infinity");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new Cce4longError("VALIDATION_FAILED", `canonical JSON cannot hold a ${typeof value}`);
}
