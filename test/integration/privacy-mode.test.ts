/**
 * Privacy Mode on the local stack (runs on the developer's machine / CI, as root: FUSE and bubblewrap):
 * real jobs requested on-chain and submitted on Pub/Sub are dispatched by the Privacy Plane, whose local
 * launcher runs the boot agent; it attests (development evidence), gets the key, mounts the decrypting
 * FUSE and runs Python in bubblewrap with no network. Checked from outside only: on-chain status and
 * events, and the outputs commitment recomputed from the bytes the job must have written.
 * Data is sealed here directly under the dataset key and put into the datasets bucket with its version
 * manifest (the stand-in for ingest); the boot agent reads it from the local object store with the
 * presigned URLs key release hands it, as in the VM.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cce4longHubAbi,
  datasetIdOf,
  JobFailureReason,
  JobStatus,
  jobIdOf,
  parseDeployment,
} from "@cce4long/protocol";
import { algorithmKeys } from "@cce4long/protocol/algorithms/algorithm-record";
import { UPLOAD_KEYS } from "@cce4long/protocol/api/uploads";
import {
  buildManifest,
  DATASET_MANIFEST_FORMAT,
  type ManifestEntry,
} from "@cce4long/protocol/datasets/manifest";
import { directoryImageDigest } from "@cce4long/protocol/jobs/directory-image";
import { imageDigestBytes32, jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import { outputsCommitment } from "@cce4long/protocol/jobs/output-bundle";
import { TOPICS } from "@cce4long/protocol/queue/topics";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { encryptBuffer, parseHeader } from "@cce4long/sealing";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { PubSub } from "@google-cloud/pubsub";
import { AwsClient } from "aws4fetch";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseEventLogs,
  zeroHash,
} from "viem";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalRole, localAccount } from "../../contracts/scripts/local-accounts";
import { loadOrCreateSecrets } from "../../platform/src/secrets";
import { developmentMeasurementId } from "../../platform/src/services/chain-setup";

const stack = inject("stack");
const deployment = parseDeployment(JSON.parse(readFileSync(stack.deploymentFile, "utf8")));
const hub = deployment.contracts.hub.address;
const chain = defineChain({
  id: stack.chainId,
  name: "anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [stack.rpcUrl] } },
});
const reader = createPublicClient({ chain, transport: http(stack.rpcUrl), pollingInterval: 50 });
const computeDir = join(stack.stateDir, "compute");
const privacyPlanePort = Number(new URL(stack.privacyPlane).port);

/** A data entry of the version manifest for a sealed file, as ingest records it. */
function manifestEntry(
  path: string,
  objectKey: string,
  sealed: Uint8Array,
  rows: number | null,
): ManifestEntry {
  const { header } = parseHeader(sealed.subarray(0, 234));
  return {
    kind: "data",
    path,
    objectKey,
    fileId: Buffer.from(header.fileId).toString("hex"),
    keyVersion: header.keyVersion,
    chunkSize: header.chunkSize,
    plaintextBytes: header.plaintextLength,
    ciphertextBytes: sealed.length,
    ciphertextSha256: createHash("sha256").update(sealed).digest("hex"),
    rows,
  };
}

async function write(role: LocalRole, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = createWalletClient({ account: localAccount(role), chain, transport: http(stack.rpcUrl) });
  const hash = await wallet.writeContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName,
    args,
    value,
  } as never);
  const receipt = await reader.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
}

const read = <T>(functionName: string, args: readonly unknown[]) =>
  reader.readContract({ address: hub, abi: cce4longHubAbi, functionName, args } as never) as Promise<T>;

const csv = `id,age\n${Array.from({ length: 500 }, (_, i) => `${i},${40 + (i % 50)}`).join("\n")}\n`;
const expectedAgeSum = Array.from({ length: 500 }, (_, i) => 40 + (i % 50)).reduce((a, b) => a + b, 0);

const JOBS = {
  aggregate: `import csv, os
rows = list(csv.DictReader(open(os.path.join(os.environ["CCE4LONG_DATA_DIR"], "cohort.csv"))))
with open(os.path.join(os.environ["CCE4LONG_OUTPUT_DIR"], "aggregate.csv"), "w") as out:
    out.write(f"n,sum_age\\n{len(rows)},{sum(int(r['age']) for r in rows)}\\n")
`,
  socket: `import os, socket, sys
results = []
for host, port in [("127.0.0.1", int(os.environ["TARGET_PORT"])), ("1.1.1.1", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        results.append("connected")
    except OSError:
        results.append("blocked")
with open(os.path.join(os.environ["CCE4LONG_OUTPUT_DIR"], "network.txt"), "w") as out:
    out.write(",".join(results))
sys.exit(0 if all(r == "blocked" for r in results) else 3)
`,
  tamper: `import os
try:
    open(os.path.join(os.environ["CCE4LONG_DATA_DIR"], "tampered.bin"), "rb").read()
    result = "read"
except OSError as error:
    result = f"errno={error.errno}"
with open(os.path.join(os.environ["CCE4LONG_OUTPUT_DIR"], "tamper.txt"), "w") as out:
    out.write(result)
`,
} as const;
type JobName = keyof typeof JOBS;
const OUTPUT_FILE: Record<JobName, string> = {
  aggregate: "aggregate.csv",
  socket: "network.txt",
  tamper: "tamper.txt",
};

let datasetId: Hex;
let s3: AwsClient;
/** The datasets-bucket key of cohort.csv's ciphertext, and its bytes (a test swaps them and back). */
let cohortKey: string;
let cohortSealed: Uint8Array;
const specs = {} as Record<JobName, Record<string, unknown>>;
let pubsub: PubSub;

beforeAll(async () => {
  const secrets = loadOrCreateSecrets(join(stack.stateDir, "secrets.json"));
  s3 = new AwsClient({
    accessKeyId: secrets.objectStoreAccessKeyId,
    secretAccessKey: secrets.objectStoreSecretAccessKey,
    service: "s3",
    region: "auto",
  });
  pubsub = new PubSub({
    projectId: stack.pubsubProject,
    apiEndpoint: stack.pubsubEmulatorHost,
    emulatorMode: true,
  });

  // The dataset: registered by the provider, sealed under its key, version committed, rented.
  const salt = `0x${randomBytes(32).toString("hex")}` as Hex;
  const provider = localAccount("provider").address;
  await write("provider", "registerDataset", [
    salt,
    `0x${"11".repeat(32)}`,
    "https://example.invalid/dataset.json",
    { pricePerPeriod: 1000n, periodSeconds: 86_400n, exploreOffered: false, freePreview: false },
    [localAccount("reviewer").address],
  ]);
  datasetId = datasetIdOf(provider, salt);
  const key = await new DstackKeyProvider({ endpoint: stack.guestAgentSocket }).datasetKey(datasetId, 1);
  const uploadId = randomBytes(16).toString("hex");
  const cohort = encryptBuffer(Buffer.from(csv), { key: key.key, datasetId });
  const tampered = encryptBuffer(randomBytes(3 * 65_536), { key: key.key, datasetId });
  tampered[tampered.length - 70_000]! ^= 0x01;
  key.wipe();
  cohortKey = UPLOAD_KEYS.dataFile(datasetId, uploadId, 0);
  cohortSealed = cohort;
  const tamperedKey = UPLOAD_KEYS.dataFile(datasetId, uploadId, 1);
  await putObject(BUCKETS.datasets, cohortKey, cohort);
  await putObject(BUCKETS.datasets, tamperedKey, tampered);
  // The version manifest ingest would write, where key release looks for it (by its root). tampered.bin
  // is listed with its flipped bit (as if corrupted before its hash was taken): the agent's manifest
  // checks pass, so only the FUSE's chunk authentication can catch it.
  const manifest = buildManifest({
    format: DATASET_MANIFEST_FORMAT,
    datasetId,
    uploadId,
    createdAt: new Date().toISOString(),
    entries: [
      manifestEntry("cohort.csv", cohortKey, cohort, 500),
      manifestEntry("tampered.bin", tamperedKey, tampered, null),
    ],
  });
  await putObject(
    BUCKETS.datasets,
    UPLOAD_KEYS.manifestByRoot(datasetId, manifest.root),
    Buffer.from(JSON.stringify(manifest)),
  );
  // Ingest commits versions as the Privacy Plane; here a test signer stands in for it.
  await write("owner", "setPrivacyPlaneSigner", [localAccount("privacyPlaneSigner").address, true]);
  await write("privacyPlaneSigner", "commitDatasetVersion", [datasetId, manifest.root]);
  await write("consumer", "rent", [datasetId, 1], 1000n);

  // The jobs: directory images pinned by digest, allowed by the provider, specs in the algorithms bucket.
  for (const name of Object.keys(JOBS) as JobName[]) {
    const folder = join(computeDir, "images", `${name}-${datasetId.slice(2, 10)}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "main.py"), JOBS[name]);
    const digest = directoryImageDigest([
      { path: "main.py", sha256: createHash("sha256").update(JOBS[name]).digest("hex") },
    ]);
    const spec = {
      apiVersion: "cce4long.dev/job/v1",
      name: `it-${name}`,
      image: { digest },
      command: ["/usr/bin/python3", "main.py"],
      parameters: name === "socket" ? { TARGET_PORT: String(privacyPlanePort) } : {},
      resources: { timeoutSeconds: 60 },
      outputs: [
        {
          kind: "free_text",
          path: OUTPUT_FILE[name],
          description: `${name} result`,
          format: name === "aggregate" ? "csv" : "txt",
        },
      ],
    };
    specs[name] = spec;
    await write("provider", "setImageDigestAllowed", [datasetId, imageDigestBytes32(digest), true]);
    await putObject(
      BUCKETS.algorithms,
      algorithmKeys.spec(jobSpecCommitment(spec)),
      Buffer.from(JSON.stringify(spec)),
    );
  }
});

afterAll(async () => {
  await pubsub?.close();
});

async function putObject(bucket: string, key: string, body: Uint8Array): Promise<void> {
  const put = await s3.fetch(`${stack.objectStore}/${bucket}/${key}`, { method: "PUT", body });
  expect(put.status).toBe(200);
}

/** Requests the job on-chain as the consumer and submits it on Pub/Sub (what the edge API does). */
async function submit(name: JobName, copies = 1): Promise<Hex> {
  const salt = `0x${randomBytes(32).toString("hex")}` as Hex;
  const spec = specs[name];
  await write("consumer", "requestJob", [
    salt,
    datasetId,
    imageDigestBytes32((spec.image as { digest: string }).digest),
    jobSpecCommitment(spec),
    `0x${randomBytes(32).toString("hex")}`,
  ]);
  const consumer = localAccount("consumer").address;
  const jobId = jobIdOf(consumer, salt);
  const message = {
    type: "job.submitted",
    version: 1,
    jobId,
    datasetId,
    consumer: consumer.toLowerCase(),
    submittedAt: new Date().toISOString(),
  };
  for (let i = 0; i < copies; i++) {
    await pubsub.topic(TOPICS.jobs).publishMessage({ data: Buffer.from(JSON.stringify(message)) });
  }
  return jobId;
}

// After "outputs submitted" the Output Gate takes over (review, release); these tests are about
// execution, so any state from OutputsSubmitted on means the job's run is over.
const AFTER_OUTPUTS: number[] = [
  JobStatus.OutputsSubmitted,
  JobStatus.UnderReview,
  JobStatus.ChangesRequested,
  JobStatus.Approved,
  JobStatus.Rejected,
  JobStatus.ResultReleased,
];
const FINAL_OR_SUBMITTED: number[] = [...AFTER_OUTPUTS, JobStatus.Failed];

async function settled(jobId: Hex, timeoutMs = 100_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await read<number>("jobStatus", [jobId]);
    if (FINAL_OR_SUBMITTED.includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still in status ${status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function jobEvents(jobId: Hex) {
  const logs = await reader.getLogs({
    address: hub,
    fromBlock: BigInt(deployment.contracts.hub.deployedBlock),
    toBlock: "latest",
  });
  return parseEventLogs({ abi: cce4longHubAbi, logs }).filter(
    (e) => (e.args as { jobId?: Hex }).jobId === jobId,
  );
}

function commitmentOf(jobId: Hex, path: string, content: string): Hex {
  return outputsCommitment(jobId, [{ path, sha256: createHash("sha256").update(content).digest("hex") }]);
}

describe("Privacy Mode jobs on the local stack", () => {
  it("runs a Python job on the decrypted /data and submits its aggregate, once, however often it is queued", async () => {
    const jobId = await submit("aggregate", 3);
    expect(AFTER_OUTPUTS).toContain(await settled(jobId));
    const events = await jobEvents(jobId);
    const names = events.map((e) => e.eventName);
    expect(names.slice(0, 4)).toEqual([
      "JobRequested",
      "JobDispatched",
      "JobKeyReleased",
      "JobOutputsSubmitted",
    ]);
    // Queued three times, run once: each lifecycle step appears exactly once.
    for (const step of ["JobDispatched", "JobKeyReleased", "JobOutputsSubmitted"]) {
      expect(names.filter((n) => n === step)).toHaveLength(1);
    }
    const released = events.find((e) => e.eventName === "JobKeyReleased")!.args as { measurementId: Hex };
    expect(released.measurementId).toBe(developmentMeasurementId());
    const submitted = events.find((e) => e.eventName === "JobOutputsSubmitted")!.args as {
      outputsCommitment: Hex;
    };
    expect(submitted.outputsCommitment).toBe(
      commitmentOf(jobId, "aggregate.csv", `n,sum_age\n500,${expectedAgeSum}\n`),
    );
    // The data came from the object store over presigned URLs, which no log carries.
    const agentLog = readFileSync(join(computeDir, "jobs", `${jobId}.agent.log`), "utf8");
    expect(agentLog).toMatch(/"event":"agent.key-released".*"objects":2/);
    expect(agentLog).not.toContain("X-Amz-Signature");
    expect(readFileSync(join(stack.stateDir, "logs", "privacy-plane.log"), "utf8")).not.toContain(
      "X-Amz-Signature",
    );
  });

  it("gives a job that opens sockets no network at all (host services and the internet are unreachable)", async () => {
    const jobId = await submit("socket");
    expect(AFTER_OUTPUTS).toContain(await settled(jobId));
    const submitted = (await jobEvents(jobId)).find((e) => e.eventName === "JobOutputsSubmitted")!.args as {
      outputsCommitment: Hex;
    };
    expect(submitted.outputsCommitment).toBe(commitmentOf(jobId, "network.txt", "blocked,blocked"));
  });

  it("answers a job reading a tampered chunk with an I/O error (EIO), not with bytes", async () => {
    const jobId = await submit("tamper");
    expect(AFTER_OUTPUTS).toContain(await settled(jobId));
    const submitted = (await jobEvents(jobId)).find((e) => e.eventName === "JobOutputsSubmitted")!.args as {
      outputsCommitment: Hex;
    };
    expect(submitted.outputsCommitment).toBe(commitmentOf(jobId, "tamper.txt", "errno=5"));
  });

  it("gives no key to a job whose attestation the policy refuses, and fails it on-chain", async () => {
    const devMeasurement = developmentMeasurementId();
    await write("owner", "setMeasurementAllowed", [zeroHash, devMeasurement, false]);
    try {
      const jobId = await submit("aggregate");
      expect(await settled(jobId)).toBe(JobStatus.Failed);
      const events = await jobEvents(jobId);
      expect(events.map((e) => e.eventName)).not.toContain("JobKeyReleased");
      const failed = events.find((e) => e.eventName === "JobFailed")!.args as { reasonCode: number };
      expect(failed.reasonCode).toBe(JobFailureReason.KeyReleaseDenied);
    } finally {
      await write("owner", "setMeasurementAllowed", [zeroHash, devMeasurement, true]);
    }
  });

  it("refuses a key request with a forged credential and development evidence", async () => {
    const res = await fetch(`${stack.privacyPlane}/v1/key-release`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        credential: `jc1.${Buffer.from("{}").toString("base64url")}.${Buffer.alloc(65).toString("base64url")}`,
        evidence: Buffer.from("CCE4LONG-INSECURE-DEV-QUOTE").toString("base64"),
        ephemeralPublicKey: `0x${"ab".repeat(32)}`,
      }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "KEY_RELEASE_DENIED", detail: "Key release denied" });
  });

  it("refuses to run a job on objects that are not the credential's version: failed on-chain as a version mismatch, nothing mounted or left", async () => {
    // The object store serves another valid file of the same dataset, under the same key, in its place.
    const key = await new DstackKeyProvider({ endpoint: stack.guestAgentSocket }).datasetKey(datasetId, 1);
    const other = encryptBuffer(Buffer.from(csv), { key: key.key, datasetId });
    key.wipe();
    await putObject(BUCKETS.datasets, cohortKey, other);
    try {
      const jobId = await submit("aggregate");
      expect(await settled(jobId)).toBe(JobStatus.Failed);
      const events = await jobEvents(jobId);
      const names = events.map((e) => e.eventName);
      expect(names).toContain("JobKeyReleased");
      expect(names).not.toContain("JobOutputsSubmitted");
      const failed = events.find((e) => e.eventName === "JobFailed")!.args as { reasonCode: number };
      expect(failed.reasonCode).toBe(JobFailureReason.DatasetVersionMismatch);
      const agentLog = readFileSync(join(computeDir, "jobs", `${jobId}.agent.log`), "utf8");
      expect(agentLog).toContain("agent.manifest-checked-failed");
      expect(agentLog).not.toContain("agent.mounted");
      // The read URLs are secrets: the agent's log never carries one.
      expect(agentLog).not.toContain("X-Amz-Signature");
      expect(existsSync(join(computeDir, "jobs", jobId))).toBe(false);
      expect(readFileSync("/proc/mounts", "utf8")).not.toContain(jobId);
    } finally {
      await putObject(BUCKETS.datasets, cohortKey, cohortSealed);
    }
  });
});
