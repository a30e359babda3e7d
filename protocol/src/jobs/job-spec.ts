/**
 * The job spec (runs anywhere): what a Privacy Mode job runs (image by digest, command), with which
 * parameters and limits, and which outputs it declares. Its commitment is the `specCommitment`
 * of `requestJob` on-chain: keccak256 over the RFC 8785 canonical JSON of the *parsed* spec (defaults
 * filled in), so two files that mean the same spec commit to the same bytes32.
 */
import { type Hex, keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { Cce4longError } from "../errors/index";
import { canonicalJson } from "./canonical-json";
import { declaredOutputSchema } from "./declared-outputs";

export const JOB_SPEC_API_VERSION = "cce4long.dev/job/v1";

/** `sha256:` and 64 lowercase hex digits: an OCI image manifest digest (or a directory image, see directory-image.ts). */
export const imageDigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, {
  message: "image digest must be sha256: followed by 64 lowercase hex digits",
});

/** Names the runtime sets itself, or that would change how the job's programs load. */
const RESERVED_PARAMETER = /^(CCE4LONG_|LD_|PATH$|HOME$|PYTHONPATH$|PYTHONHOME$)/;

const parameterName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, { message: "parameter names are UPPER_SNAKE_CASE, at most 64 characters" })
  .refine((name) => !RESERVED_PARAMETER.test(name), {
    message: "parameter name is reserved (CCE4LONG_*, LD_*, PATH, HOME, PYTHONPATH, PYTHONHOME)",
  });

const MIB = 1024 * 1024;

export const resourceLimitsSchema = z
  .object({
    cpus: z.number().int().min(1).max(64).default(1),
    memoryMiB: z.number().int().min(256).max(262_144).default(2048),
    timeoutSeconds: z.number().int().min(1).max(86_400).default(1800),
    /** All output files together. */
    maxOutputBytes: z
      .number()
      .int()
      .min(1)
      .max(1024 * MIB)
      .default(100 * MIB),
  })
  .strict();

export const jobSpecSchema = z
  .object({
    apiVersion: z.literal(JOB_SPEC_API_VERSION),
    /** A short slug for people and logs. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: "name is a lowercase slug, at most 63 characters" }),
    description: z.string().max(2000).optional(),
    image: z
      .object({
        digest: imageDigestSchema,
        /** Where a person can find the image; informational, never used to fetch (the digest is). */
        reference: z.string().min(1).max(300).optional(),
      })
      .strict(),
    /** argv of the job's process; no shell is involved. */
    command: z.array(z.string().min(1).max(4096)).min(1).max(64),
    /** Working directory inside the image. */
    workingDir: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]*$/, { message: "workingDir must be an absolute path" })
      .default("/job"),
    /**
     * Passed to the job as environment variables. The runtime also sets CCE4LONG_DATA_DIR (/data,
     * the read-only plaintext view) and CCE4LONG_OUTPUT_DIR (/output).
     */
    parameters: z.record(parameterName, z.string().max(4096)).default({}),
    resources: resourceLimitsSchema.default(() => resourceLimitsSchema.parse({})),
    outputs: z.array(declaredOutputSchema).min(1).max(100),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const paths = spec.outputs.map((o) => o.path);
    const seen = new Set<string>();
    for (const [i, path] of paths.entries()) {
      if (seen.has(path))
        ctx.addIssue({ code: "custom", path: ["outputs", i, "path"], message: `${path} is declared twice` });
      seen.add(path);
    }
    for (const [i, output] of spec.outputs.entries()) {
      if (output.kind !== "figure") continue;
      for (const source of output.sourceTables) {
        if (!seen.has(source)) {
          ctx.addIssue({
            code: "custom",
            path: ["outputs", i, "sourceTables"],
            message: `${source} is not a declared output`,
          });
        }
      }
    }
  });

/** What a spec file may contain (defaults optional). */
export type JobSpecInput = z.input<typeof jobSpecSchema>;
/** A validated spec with every default filled in: the thing that is hashed. */
export type JobSpec = z.output<typeof jobSpecSchema>;

/** Validates a spec, throwing VALIDATION_FAILED with the first issues (path: message) on bad input. */
export function parseJobSpec(input: unknown): JobSpec {
  const result = jobSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(spec)"}: ${i.message}`);
  throw new Cce4longError("VALIDATION_FAILED", `invalid job spec: ${issues.join("; ")}`, {
    detail: { issues: result.error.issues },
  });
}

/** The canonical bytes of a spec: RFC 8785 JSON of the parsed spec, UTF-8. */
export function canonicalJobSpec(input: unknown): string {
  return canonicalJson(parseJobSpec(input));
}

/** keccak256 of the canonical spec: the bytes32 `specCommitment` recorded by `requestJob`. */
export function jobSpecCommitment(input: unknown): Hex {
  return keccak256(stringToBytes(canonicalJobSpec(input)));
}

/** The bytes32 `imageDigest` of `requestJob`: the 32 bytes of the sha256 digest. */
export function imageDigestBytes32(digest: string): Hex {
  const parsed = imageDigestSchema.safeParse(digest);
  if (!parsed.success)
    throw new Cce4longError("VALIDATION_FAILED", parsed.error.issues[0]?.message ?? "bad digest");
  return `0x${parsed.data.slice("sha256:".length)}`;
}
