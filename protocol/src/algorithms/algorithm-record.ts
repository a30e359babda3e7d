/**
 * Algorithm records (runs anywhere): what a job ran, fetchable by anyone from the data-availability
 * layer by the job's on-chain `specCommitment`, and checkable against it. An algorithm is
 *   - the job spec (keccak256 of its canonical JSON IS the on-chain spec commitment),
 *   - the image digest it names (the on-chain `imageDigest` of the job request),
 *   - the source as a reproducible tarball (reproducible-tar.ts), named by its sha256.
 * For a directory image (protocol/src/jobs/directory-image.ts) the source's files hash to the image
 * digest, so the source is bound to the chain through the spec. For an OCI image the record can only
 * declare its build source; rebuilding the image and comparing digests is the check (docs/auditability.md).
 */
import { type Hex, sha256, stringToBytes } from "viem";
import { z } from "zod";
import { Cce4longError } from "../errors/index";
import { canonicalJson } from "../jobs/canonical-json";
import { directoryImageDigest } from "../jobs/directory-image";
import {
  canonicalJobSpec,
  imageDigestBytes32,
  imageDigestSchema,
  type JobSpec,
  jobSpecCommitment,
} from "../jobs/job-spec";
import { createTar, readTar, type TarFile } from "./reproducible-tar";

export const ALGORITHM_RECORD_API_VERSION = "cce4long.dev/algorithm/v1";

const Commitment = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as 0x and 64 lowercase hex digits")
  .transform((value) => value as Hex);

export const AlgorithmRecordSchema = z.strictObject({
  apiVersion: z.literal(ALGORITHM_RECORD_API_VERSION),
  specCommitment: Commitment,
  imageDigest: imageDigestSchema,
  source: z.strictObject({
    format: z.literal("tar"),
    /** Lowercase hex sha256 of the tarball's bytes: its content address. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    /** How the source is bound to the image digest: by construction, or only declared. */
    binding: z.enum(["directory-image", "declared"]),
  }),
});
export type AlgorithmRecord = z.output<typeof AlgorithmRecordSchema>;

/** The three objects of one algorithm in the DA layer, and where they live. */
export interface AlgorithmObjects {
  record: AlgorithmRecord;
  /** Canonical JSON of the parsed spec (exactly what the commitment hashes). */
  specBytes: Uint8Array;
  sourceTar: Uint8Array;
}

/** DA keys: spec and record by the on-chain spec commitment, the source by its sha256. */
export const algorithmKeys = {
  spec: (specCommitment: Hex) => `job-specs/${commitmentOf(specCommitment)}.json`,
  record: (specCommitment: Hex) => `algorithm-records/${commitmentOf(specCommitment)}.json`,
  source: (sha256Hex: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) invalid("source sha256 must be 64 lowercase hex digits");
    return `algorithm-sources/${sha256Hex}.tar`;
  },
};

/** Builds the record, spec bytes and tarball of a spec and its source files. */
export function buildAlgorithm(specInput: unknown, files: readonly TarFile[]): AlgorithmObjects {
  const canonical = canonicalJobSpec(specInput);
  const spec = JSON.parse(canonical) as JobSpec;
  const sourceTar = createTar(files);
  const binding = isDirectoryImageOf(files, spec.image.digest) ? "directory-image" : "declared";
  const record: AlgorithmRecord = {
    apiVersion: ALGORITHM_RECORD_API_VERSION,
    specCommitment: jobSpecCommitment(spec),
    imageDigest: spec.image.digest,
    source: { format: "tar", sha256: sha256(sourceTar).slice(2), bytes: sourceTar.length, binding },
  };
  return { record, specBytes: stringToBytes(canonical), sourceTar };
}

export function algorithmRecordBytes(record: AlgorithmRecord): Uint8Array {
  return stringToBytes(canonicalJson(AlgorithmRecordSchema.parse(record)));
}

export interface VerifiedAlgorithm {
  record: AlgorithmRecord;
  spec: JobSpec;
  files: TarFile[];
}

/**
 * Checks fetched bytes against the on-chain commitment (and, when known, the on-chain image digest):
 * spec hashes to the commitment; record names the same commitment and image; tarball has the recorded
 * sha256 and size and is in reproducible form; a directory-image source hashes to the image digest.
 * ALGORITHM_RECORD_INVALID naming the first failed check.
 */
export function verifyAlgorithm(
  expected: { specCommitment: Hex; onChainImageDigest?: Hex },
  fetched: { specBytes: Uint8Array; recordBytes: Uint8Array; sourceTar: Uint8Array },
): VerifiedAlgorithm {
  const specCommitment = commitmentOf(expected.specCommitment);
  const spec = guarded(
    "the job spec",
    () => JSON.parse(new TextDecoder().decode(fetched.specBytes)) as unknown,
  );
  const actual = guarded("the job spec", () => jobSpecCommitment(spec));
  if (actual !== specCommitment)
    fail("the job spec does not hash to the on-chain spec commitment", { actual });
  const parsedSpec = JSON.parse(canonicalJobSpec(spec)) as JobSpec;

  const record = guarded("the algorithm record", () =>
    AlgorithmRecordSchema.parse(JSON.parse(new TextDecoder().decode(fetched.recordBytes))),
  );
  if (record.specCommitment !== specCommitment) fail("the algorithm record names another spec commitment");
  if (record.imageDigest !== parsedSpec.image.digest)
    fail("the algorithm record names another image than the spec");
  if (
    expected.onChainImageDigest !== undefined &&
    imageDigestBytes32(parsedSpec.image.digest) !== expected.onChainImageDigest.toLowerCase()
  ) {
    fail("the spec's image digest is not the on-chain image digest of the job");
  }

  const sourceHash = sha256(fetched.sourceTar).slice(2);
  if (sourceHash !== record.source.sha256 || fetched.sourceTar.length !== record.source.bytes) {
    fail("the source tarball does not match the sha256 in the algorithm record", { sourceHash });
  }
  const files = guarded("the source tarball", () => readTar(fetched.sourceTar));
  if (record.source.binding === "directory-image" && !isDirectoryImageOf(files, parsedSpec.image.digest)) {
    fail("the source files do not hash to the spec's directory-image digest");
  }
  return { record, spec: parsedSpec, files };
}

function isDirectoryImageOf(files: readonly TarFile[], imageDigest: string): boolean {
  if (files.length === 0) return false;
  const listed = files.map((file) => ({ path: file.path, sha256: sha256(file.bytes).slice(2) }));
  try {
    return directoryImageDigest(listed) === imageDigest;
  } catch {
    return false;
  }
}

function commitmentOf(value: Hex): Hex {
  const lower = value.toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(lower)) invalid("spec commitment must be 0x and 64 hex digits");
  return lower as Hex;
}

function guarded<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    return fail(`${what} is malformed`, undefined, cause);
  }
}

function fail(message: string, detail?: Record<string, unknown>, cause?: unknown): never {
  throw new Cce4longError("ALGORITHM_RECORD_INVALID", message, { cause, detail });
}

function invalid(message: string): never {
  throw new Cce4longError("VALIDATION_FAILED", message);
}
