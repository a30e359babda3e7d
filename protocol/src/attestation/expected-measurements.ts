/**
 * The expected TDX measurement of a Computing Plane image build (runs anywhere): the schema of
 * cvm-image/measurements/expected.json, which names what the on-chain measurement policy must allow for
 * one Packer build on one machine type. See cvm-image/README.md for where each register comes from.
 */
import type { Hex } from "viem";
import { z } from "zod";
import { measurementId } from "../chain/ids";
import { Cce4longError } from "../errors/index";

export const EXPECTED_MEASUREMENTS_SCHEMA = "cce4long/expected-measurements/v1";

/** One SHA-384 register: 0x and exactly 96 lowercase hex digits (48 bytes). */
const Register = z
  .string()
  .regex(/^0x[0-9a-f]{96}$/, "must be 48 bytes as 0x and 96 lowercase hex digits")
  .transform((value) => value as Hex);

const Bytes32 = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as 0x and 64 lowercase hex digits")
  .transform((value) => value as Hex);

/** How a register's value was obtained. Only `computed` values can be checked without GCP. */
const Source = z.enum([
  /** Computed offline from the build's own artefacts (firmware, ESP, kernel, initrd, cmdline). */
  "computed",
  /** Read from a quote of a reference boot of this exact image on this machine type. */
  "reference-boot",
  /** Taken from Google's signed endorsement of its TDX firmware (gce-tcb-verifier). */
  "google-endorsement",
]);

const ImageSchema = z.strictObject({
  /** The GCE image name the Packer build created (`cce4long-cvm-<date>-<commit>`). */
  name: z.string().regex(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/),
  project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/),
  /** The numeric image id from `gcloud compute images describe` (a re-created name gets a new id). */
  imageId: z.string().regex(/^\d{1,20}$/),
  /** The git commit the image was built from (the Packer template and boot agent bundle). */
  buildCommit: z.string().regex(/^[0-9a-f]{40}$/, "must be a full 40-digit git commit"),
  /** The boot agent bundle the image carries (from the reproducible build). */
  bootAgentBundleSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const RecordedSchema = z.strictObject({
  schema: z.literal(EXPECTED_MEASUREMENTS_SCHEMA),
  status: z.literal("recorded"),
  image: ImageSchema,
  /** RTMR0 measures the virtual hardware configuration, so each machine type has its own measurement. */
  machineType: z.string().regex(/^c3-(?:standard|highmem|highcpu)-\d+(?:-lssd)?$/),
  mrtd: Register,
  rtmr0: Register,
  rtmr1: Register,
  rtmr2: Register,
  /** keccak256(mrtd || rtmr0 || rtmr1 || rtmr2): the bytes32 the on-chain policy names. */
  measurementId: Bytes32,
  sources: z.strictObject({ mrtd: Source, rtmr0: Source, rtmr1: Source, rtmr2: Source }),
  /** ISO time the values were recorded. */
  recordedAt: z.iso.datetime(),
});

/** No GCE build has run yet for this template revision: nothing may be allowed on-chain. */
const PendingSchema = z.strictObject({
  schema: z.literal(EXPECTED_MEASUREMENTS_SCHEMA),
  status: z.literal("pending"),
  reason: z.string().min(1),
});

export const ExpectedMeasurementEntrySchema = z.discriminatedUnion("status", [RecordedSchema, PendingSchema]);

/** The file: one entry per machine type the launcher may use (or one pending entry). */
export const ExpectedMeasurementsFileSchema = z.strictObject({
  schema: z.literal(EXPECTED_MEASUREMENTS_SCHEMA),
  entries: z.array(ExpectedMeasurementEntrySchema).min(1),
});

export type ExpectedMeasurement = z.infer<typeof RecordedSchema>;
export type ExpectedMeasurementsFile = z.infer<typeof ExpectedMeasurementsFileSchema>;

/**
 * Parses expected.json and checks every recorded measurement id against its registers, so a file whose
 * id and registers disagree (hand-edited, truncated) can never reach the on-chain policy.
 */
export function parseExpectedMeasurements(input: unknown): ExpectedMeasurementsFile {
  const parsed = ExpectedMeasurementsFileSchema.safeParse(input);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(root)"))];
    throw new Cce4longError("VALIDATION_FAILED", `Expected measurements invalid: ${fields.join(", ")}`, {
      detail: { issues: parsed.error.issues.map(({ path, message }) => ({ path: path.join("."), message })) },
    });
  }
  parsed.data.entries.forEach((entry, index) => {
    if (entry.status !== "recorded") return;
    const computed = measurementId(entry.mrtd, entry.rtmr0, entry.rtmr1, entry.rtmr2);
    if (computed !== entry.measurementId) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `Expected measurements invalid: entries.${index}.measurementId does not match its registers`,
        { detail: { recorded: entry.measurementId, computed } },
      );
    }
  });
  const machineTypes = parsed.data.entries.flatMap((entry) =>
    entry.status === "recorded" ? [entry.machineType] : [],
  );
  if (new Set(machineTypes).size !== machineTypes.length) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "Expected measurements invalid: a machine type is listed twice",
    );
  }
  return parsed.data;
}

/** The measurement ids the on-chain policy should allow for this build (none while pending). */
export function allowedMeasurementIds(file: ExpectedMeasurementsFile): Hex[] {
  return file.entries.flatMap((entry) => (entry.status === "recorded" ? [entry.measurementId] : []));
}
