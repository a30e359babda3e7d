/**
 * The development quote format: what the development guest agent returns where dstack would return an
 * Intel TDX quote (runs anywhere; holds no secret). It proves NOTHING: anyone can write these bytes.
 * Only the insecure development verifier accepts it, and only in a development deployment.
 *
 * Byte layout (version 1):
 *
 *   offset 0   27 bytes  ASCII "CCE4LONG-INSECURE-DEV-QUOTE" (the magic)
 *   offset 27   1 byte   0x00 (separator)
 *   offset 28   1 byte   0x01 (format version)
 *   offset 29   rest     UTF-8 JSON object, exactly these members (order free, no others):
 *     "warning"      the string DEV_EVIDENCE_WARNING, verbatim
 *     "report_data"  128 lowercase hex chars: the 64-byte report_data the caller asked for
 *     "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"
 *                    96 lowercase hex chars each (48-byte SHA-384 registers, fake but replayable:
 *                    each RTMR is the replay of the event log the agent returns with the quote)
 *     "app_id"       40 lowercase hex chars (20 bytes), "instance_id" likewise
 *     "compose_hash" 64 lowercase hex chars (32 bytes)
 *     "issued_at"    ISO 8601 UTC timestamp with milliseconds, e.g. "2026-11-21T10:00:00.000Z"
 *
 * A TDX quote starts with its little-endian version (0x04 0x00 or 0x05 0x00), so the two formats can
 * never be taken for one another. Total size is at most DEV_EVIDENCE_MAX_BYTES. Readers compare fields,
 * never bytes: the JSON is not canonical.
 */
import { z } from "zod";
import { Cce4longError } from "../errors/index";

export const DEV_EVIDENCE_MAGIC = "CCE4LONG-INSECURE-DEV-QUOTE";
export const DEV_EVIDENCE_VERSION = 1;
export const DEV_EVIDENCE_WARNING = "INSECURE DEVELOPMENT EVIDENCE: NOT A TDX QUOTE, ANYONE CAN FORGE IT";
export const DEV_EVIDENCE_MAX_BYTES = 4096;

const MAGIC_BYTES = new TextEncoder().encode(DEV_EVIDENCE_MAGIC);
const HEADER_BYTES = MAGIC_BYTES.length + 2;

const hex = (chars: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`), `${chars} lowercase hex chars`);

const DevEvidenceSchema = z.strictObject({
  warning: z.literal(DEV_EVIDENCE_WARNING),
  report_data: hex(128),
  mrtd: hex(96),
  rtmr0: hex(96),
  rtmr1: hex(96),
  rtmr2: hex(96),
  rtmr3: hex(96),
  app_id: hex(40),
  instance_id: hex(40),
  compose_hash: hex(64),
  issued_at: z.iso.datetime(),
});

export type DevEvidence = z.infer<typeof DevEvidenceSchema>;

/** True if `bytes` start with the development magic (a cheap dispatch test, not a validation). */
export function isDevEvidence(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES) return false;
  return MAGIC_BYTES.every((byte, i) => bytes[i] === byte);
}

export function encodeDevEvidence(evidence: DevEvidence): Uint8Array {
  const parsed = DevEvidenceSchema.safeParse(evidence);
  if (!parsed.success) {
    throw new Cce4longError("VALIDATION_FAILED", "Development evidence fields are malformed", {
      detail: { issues: parsed.error.issues.map((issue) => issue.path.join(".")) },
    });
  }
  const body = new TextEncoder().encode(JSON.stringify(parsed.data));
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out.set(MAGIC_BYTES, 0);
  out[MAGIC_BYTES.length] = 0x00;
  out[MAGIC_BYTES.length + 1] = DEV_EVIDENCE_VERSION;
  out.set(body, HEADER_BYTES);
  return out;
}

/** Parses development evidence; throws ATTESTATION_INVALID (saying what is wrong) for anything else. */
export function decodeDevEvidence(bytes: Uint8Array): DevEvidence {
  if (!(bytes instanceof Uint8Array) || bytes.length > DEV_EVIDENCE_MAX_BYTES) {
    throw rejected("Development evidence is too large", { length: bytes?.length });
  }
  if (!isDevEvidence(bytes) || bytes[MAGIC_BYTES.length] !== 0x00) {
    throw rejected("Not development evidence (magic missing)", {});
  }
  const version = bytes[MAGIC_BYTES.length + 1];
  if (version !== DEV_EVIDENCE_VERSION) {
    throw rejected("Unsupported development evidence version", { version });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER_BYTES)));
  } catch (cause) {
    throw rejected("Development evidence body is not UTF-8 JSON", {}, cause);
  }
  const parsed = DevEvidenceSchema.safeParse(json);
  if (!parsed.success) {
    throw rejected("Development evidence fields are malformed", {
      issues: parsed.error.issues.map((issue) => issue.path.join(".") || issue.message),
    });
  }
  return parsed.data;
}

/** The guest API carries quotes as hex: these two are the same functions over hex strings. */
export function encodeDevEvidenceHex(evidence: DevEvidence): string {
  return bytesToHex(encodeDevEvidence(evidence));
}

export function decodeDevEvidenceHex(quoteHex: string): DevEvidence {
  const clean = quoteHex.startsWith("0x") ? quoteHex.slice(2) : quoteHex;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean) || clean.length > DEV_EVIDENCE_MAX_BYTES * 2) {
    throw rejected("Development evidence is not valid hex", { length: clean.length });
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return decodeDevEvidence(bytes);
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function rejected(message: string, detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("ATTESTATION_INVALID", message, { detail, cause });
}
