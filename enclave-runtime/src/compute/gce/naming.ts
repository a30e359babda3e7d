/**
 * Names of a job's GCE VM (runs inside the TEE, Privacy Plane): instance name, insert request id,
 * labels and the stored instance ref, all derived from the job id so a redelivered job maps to the
 * same VM and a lost ref can be rebuilt.
 */
import { createHash } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";

const JOB_ID = /^0x[0-9a-f]{64}$/;
const NAME_PREFIX = "cce4long-job-";
/** 48 hex digits (192 bits) of the job id: 13 + 48 = 61 characters, under GCE's 63. */
const NAME_HEX_DIGITS = 48;

function jobHex(jobId: string): string {
  if (!JOB_ID.test(jobId)) {
    throw new Cce4longError("VALIDATION_FAILED", "jobId must be 0x followed by 64 lowercase hex digits");
  }
  return jobId.slice(2);
}

/** The GCE instance name of a job's VM. Job ids are keccak outputs, so a 192-bit prefix cannot collide. */
export function instanceNameFor(jobId: string): string {
  return NAME_PREFIX + jobHex(jobId).slice(0, NAME_HEX_DIGITS);
}

/**
 * The `requestId` of a job's insert: GCE ignores a repeated insert with the same id, so a retried call
 * after a timeout never starts a second VM. A UUID (version 8: custom, RFC 9562) from a labelled SHA-256.
 */
export function insertRequestIdFor(jobId: string): string {
  const digest = createHash("sha256")
    .update(`cce4long/gce-insert/v1\0${jobHex(jobId)}`)
    .digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Labels on a job VM. A label value holds at most 63 characters, so the 64-digit job id is split in two. */
export function jobLabels(jobId: string): Record<string, string> {
  const hex = jobHex(jobId);
  return { "cce4long-role": "job", "cce4long-job-hi": hex.slice(0, 32), "cce4long-job-lo": hex.slice(32) };
}

export interface GceInstanceLocation {
  project: string;
  zone: string;
  name: string;
}

const REF = /^gce:([a-z][-a-z0-9]{4,28}[a-z0-9])\/([a-z]+-[a-z]+\d+-[a-z])\/(cce4long-job-[0-9a-f]{48})$/;

export function formatInstanceRef(location: GceInstanceLocation): string {
  return `gce:${location.project}/${location.zone}/${location.name}`;
}

/** Parses a ref made by formatInstanceRef; refuses anything else (never a VM this launcher did not make). */
export function parseInstanceRef(ref: string): GceInstanceLocation {
  const match = REF.exec(ref);
  if (!match) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "Not a GCE job instance ref (gce:PROJECT/ZONE/cce4long-job-…)",
      {
        detail: { ref: ref.slice(0, 120) },
      },
    );
  }
  return { project: match[1]!, zone: match[2]!, name: match[3]! };
}
