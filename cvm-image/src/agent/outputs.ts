/**
 * Collects the job's /output and delivers it to the Output Gate (runs in the Computing Plane VM): every
 * regular file (no links, bounded count and size), with the status report and log tails, as one bundle
 * sealed with HPKE to the gate's X25519 key, posted to the Privacy Plane with the credential and the
 * outputs token. Nothing of it is ever logged or written anywhere else.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import {
  type JobRunStatus,
  OUTPUTS_TOKEN_HEADER,
  type OutputBundle,
} from "@cce4long/protocol/jobs/output-bundle";
import { hpkeSeal } from "@cce4long/sealing/hpke";

const MAX_FILES = 1000;

export interface CollectedOutputs {
  files: OutputBundle["files"];
  totalBytes: number;
  skipped: string[];
}

export async function collectOutputs(outputDir: string, maxBytes: number): Promise<CollectedOutputs> {
  const files: OutputBundle["files"] = [];
  const skipped: string[] = [];
  let totalBytes = 0;
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(dir, entry.name);
      const path = relative(outputDir, full).split(sep).join("/");
      const info = await lstat(full);
      if (info.isDirectory()) {
        await walk(full);
        continue;
      }
      // Links could point at /data or anywhere: only regular files leave.
      if (!info.isFile()) {
        skipped.push(path);
        continue;
      }
      if (files.length >= MAX_FILES)
        throw new Cce4longError("PAYLOAD_TOO_LARGE", `More than ${MAX_FILES} output files`);
      totalBytes += info.size;
      if (totalBytes > maxBytes)
        throw new Cce4longError("PAYLOAD_TOO_LARGE", `Outputs exceed ${maxBytes} bytes`);
      const bytes = await readFile(full);
      files.push({
        path,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        data: bytes.toString("base64"),
      });
      bytes.fill(0);
    }
  };
  await walk(outputDir);
  return { files, totalBytes, skipped };
}

export async function deliverOutputs(options: {
  privacyPlaneUrl: string;
  credential: string;
  outputsToken: string;
  jobId: string;
  datasetId: string;
  gateOutputPublicKey: Uint8Array;
  gateOutputKeyVersion: number;
  status: JobRunStatus;
  files: OutputBundle["files"];
  logs: OutputBundle["logs"];
  fetchImpl?: typeof fetch;
}): Promise<{ recorded: string }> {
  const bundle: OutputBundle = {
    version: 1,
    jobId: options.jobId,
    status: options.status,
    files: options.files,
    logs: options.logs,
  };
  const plaintext = new TextEncoder().encode(JSON.stringify(bundle));
  const sealed = await hpkeSeal({
    recipientPublicKey: options.gateOutputPublicKey,
    context: { purpose: "GATE_OUTPUT", datasetId: options.datasetId },
    plaintext,
    aad: new TextEncoder().encode(options.jobId),
  });
  plaintext.fill(0);
  const response = await (options.fetchImpl ?? fetch)(
    new URL(`/v1/jobs/${options.jobId}/outputs`, options.privacyPlaneUrl),
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${options.credential}`,
        [OUTPUTS_TOKEN_HEADER]: options.outputsToken,
      },
      body: JSON.stringify({
        gateOutputKeyVersion: options.gateOutputKeyVersion,
        enc: Buffer.from(sealed.enc).toString("base64"),
        ciphertext: Buffer.from(sealed.ciphertext).toString("base64"),
      }),
    },
  );
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string };
    throw new Cce4longError("UNAVAILABLE", "The Privacy Plane refused the outputs", {
      detail: { status: response.status, code: problem.code },
    });
  }
  return (await response.json()) as { recorded: string };
}
