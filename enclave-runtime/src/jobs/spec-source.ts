/**
 * Where the Privacy Plane finds a job's spec (runs inside the TEE): by its on-chain commitment, in the
 * algorithms bucket (the data-availability layer; key `algorithmKeys.spec` of protocol/src/algorithms). Whatever the store returns is re-hashed: a spec whose
 * commitment differs from the one requested on-chain is refused, so the store need not be trusted.
 */
import { Cce4longError } from "@cce4long/protocol";
import { algorithmKeys } from "@cce4long/protocol/algorithms/algorithm-record";
import { type JobSpec, jobSpecCommitment, parseJobSpec } from "@cce4long/protocol/jobs/job-spec";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { AwsClient } from "aws4fetch";
import type { Hex } from "viem";

export interface JobSpecSource {
  /** The spec committed to by `specCommitment`; JOB_NOT_FOUND if absent, VALIDATION_FAILED if it does not match. */
  specFor(specCommitment: Hex): Promise<JobSpec>;
}

const MAX_SPEC_BYTES = 256 * 1024;

/** Checks that `json` is a valid spec committing to `specCommitment`. */
export function verifiedSpec(json: unknown, specCommitment: Hex): JobSpec {
  const spec = parseJobSpec(json);
  const actual = jobSpecCommitment(spec);
  if (actual !== specCommitment.toLowerCase()) {
    throw new Cce4longError("VALIDATION_FAILED", "Job spec does not match its on-chain commitment", {
      detail: { expected: specCommitment, actual },
    });
  }
  return spec;
}

export interface ObjectStoreSpecSourceOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  fetch?: typeof fetch;
}

export function createObjectStoreSpecSource(options: ObjectStoreSpecSourceOptions): JobSpecSource {
  const client = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: "s3",
    region: options.region,
  });
  const base = options.endpoint.replace(/\/+$/, "");
  return {
    async specFor(specCommitment) {
      const key = algorithmKeys.spec(specCommitment.toLowerCase() as Hex);
      let response: Response;
      try {
        response = await client.fetch(`${base}/${BUCKETS.algorithms}/${key}`);
      } catch (cause) {
        throw new Cce4longError("UNAVAILABLE", "Object store unreachable", { cause, detail: { key } });
      }
      if (response.status === 404) {
        throw new Cce4longError("JOB_NOT_FOUND", "Job spec not found", { detail: { key } });
      }
      if (!response.ok) {
        throw new Cce4longError("UNAVAILABLE", "Object store refused the spec read", {
          detail: { key, status: response.status },
        });
      }
      const text = await response.text();
      if (text.length > MAX_SPEC_BYTES) {
        throw new Cce4longError("VALIDATION_FAILED", "Job spec too large", {
          detail: { key, length: text.length },
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new Cce4longError("VALIDATION_FAILED", "Job spec is not JSON", { cause, detail: { key } });
      }
      return verifiedSpec(json, specCommitment);
    },
  };
}

/** Tests and tools: specs held in memory, still verified against their commitment. */
export function createInMemorySpecSource(specs: readonly unknown[]): JobSpecSource {
  const byCommitment = new Map(specs.map((spec) => [jobSpecCommitment(spec), spec]));
  return {
    async specFor(specCommitment) {
      const spec = byCommitment.get(specCommitment.toLowerCase() as Hex);
      if (spec === undefined) throw new Cce4longError("JOB_NOT_FOUND", "Job spec not found");
      return verifiedSpec(spec, specCommitment);
    },
  };
}
