/**
 * Entries of the cce4long transparency log (runs anywhere): the software allowed to handle keys.
 * An entry's leaf data is the UTF-8 RFC 8785 canonical JSON of the parsed entry, so anyone holding the
 * JSON recomputes the exact leaf hash. Kinds: Privacy Plane releases, Computing Plane VM measurements,
 * and allowed algorithm images.
 */
import { type Hex, stringToBytes } from "viem";
import { z } from "zod";
import { measurementId as measurementIdOfRegisters } from "../chain/ids";
import { Cce4longError } from "../errors/index";
import { canonicalJson } from "../jobs/canonical-json";
import { imageDigestSchema } from "../jobs/job-spec";
import { leafHash } from "./merkle";

export const TRANSPARENCY_ENTRY_API_VERSION = "cce4long.dev/transparency-entry/v1";

const Bytes32 = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as 0x and 64 lowercase hex digits")
  .transform((value) => value as Hex);
const Register = z
  .string()
  .regex(/^0x[0-9a-f]{96}$/, "must be 48 bytes as 0x and 96 lowercase hex digits")
  .transform((value) => value as Hex);
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
const Commit = z.string().regex(/^[0-9a-f]{40}$/, "must be a full 40-digit git commit");

const common = {
  apiVersion: z.literal(TRANSPARENCY_ENTRY_API_VERSION),
  /** When the log operator appended it (informational: order is the leaf index). */
  loggedAt: z.iso.datetime(),
  /** Why it is allowed, for people reading the log. */
  note: z.string().max(500).optional(),
};

/** A Privacy Plane release: the reproducible bundle and, on dstack, the app's compose hash. */
const PrivacyPlaneRelease = z.strictObject({
  ...common,
  kind: z.literal("privacy-plane-release"),
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
  buildCommit: Commit,
  /** sha256 of the reproducible Privacy Plane bundle, privacy-plane.mjs (build/ prints it). */
  bundleSha256: Sha256Hex,
  /**
   * sha256 of gate-scan-worker.mjs, the Output Gate's scan worker thread the Privacy Plane loads from
   * its own folder: it holds the fingerprint tag key while it scans, so a release names it too.
   */
  scanWorkerBundleSha256: Sha256Hex,
  /** dstack app compose hash (its RTMR3 event), when deployed on Phala dstack. */
  composeHash: Sha256Hex.optional(),
});

/** A Computing Plane VM measurement that may receive dataset keys. */
const VmMeasurement = z.strictObject({
  ...common,
  kind: z.literal("vm-measurement"),
  /** keccak256(MRTD || RTMR0 || RTMR1 || RTMR2): the id the on-chain policy and key release use. */
  measurementId: Bytes32,
  /** "build": a recorded GCE image build (cvm-image/measurements/expected.json); "development": the local insecure attester. */
  origin: z.enum(["build", "development"]),
  machineType: z.string().max(64).optional(),
  imageName: z.string().max(63).optional(),
  buildCommit: Commit.optional(),
  bootAgentBundleSha256: Sha256Hex.optional(),
  registers: z.strictObject({ mrtd: Register, rtmr0: Register, rtmr1: Register, rtmr2: Register }).optional(),
});

/** An algorithm image allowed to run on key-holding VMs (pinned by digest; its record is in the DA layer). */
const AlgorithmImage = z.strictObject({
  ...common,
  kind: z.literal("algorithm-image"),
  imageDigest: imageDigestSchema,
  /** The job spec commitment of its algorithm record, when the image was logged for one job spec. */
  specCommitment: Bytes32.optional(),
});

export const TransparencyEntrySchema = z
  .discriminatedUnion("kind", [PrivacyPlaneRelease, VmMeasurement, AlgorithmImage])
  .superRefine((entry, ctx) => {
    if (entry.kind !== "vm-measurement" || entry.registers === undefined) return;
    const { mrtd, rtmr0, rtmr1, rtmr2 } = entry.registers;
    if (measurementIdOfRegisters(mrtd, rtmr0, rtmr1, rtmr2) !== entry.measurementId) {
      ctx.addIssue({ code: "custom", path: ["measurementId"], message: "does not match its registers" });
    }
  });

export type TransparencyEntry = z.output<typeof TransparencyEntrySchema>;
export type TransparencyEntryInput = z.input<typeof TransparencyEntrySchema>;

/** Validates an entry; VALIDATION_FAILED with the first issues on bad input. */
export function parseTransparencyEntry(input: unknown): TransparencyEntry {
  const parsed = TransparencyEntrySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(entry)"}: ${i.message}`);
  throw new Cce4longError("VALIDATION_FAILED", `invalid transparency log entry: ${issues.join("; ")}`);
}

/** The leaf data: canonical JSON bytes of the parsed entry. */
export function transparencyEntryBytes(input: unknown): Uint8Array {
  return stringToBytes(canonicalJson(parseTransparencyEntry(input)));
}

/** RFC 9162 leaf hash of the entry. */
export function transparencyEntryLeafHash(input: unknown): Uint8Array {
  return leafHash(transparencyEntryBytes(input));
}

/** Parses stored leaf bytes, refusing bytes that are not the entry's canonical form (one entry, one leaf hash). */
export function parseTransparencyEntryBytes(bytes: Uint8Array): TransparencyEntry {
  let json: unknown;
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Cce4longError("VALIDATION_FAILED", "transparency log entry is not JSON", { cause });
  }
  const entry = parseTransparencyEntry(json);
  if (canonicalJson(entry) !== text) {
    throw new Cce4longError("VALIDATION_FAILED", "transparency log entry is not in canonical form");
  }
  return entry;
}
