/**
 * Output review on the local stack (runs on the developer's machine / CI): a job's outputs go to a
 * reviewer (the dev output route stands in for a job VM), a reviewer of another dataset is refused,
 * the dataset's on-chain reviewer approves with an EIP-712 signature, and the result is released
 * once: encrypted outputs and a signed manifest in the results bucket, the manifest's hash on-chain,
 * and `cce4long manifest verify` accepting it against the chain and the decrypted files.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cce4longHubAbi, datasetIdOf, JobStatus, jobIdOf } from "@cce4long/protocol";
import { RESULT_OBJECT_KEYS } from "@cce4long/protocol/api/results";
import {
  REVIEW_DECISION_TYPES,
  type ReviewDecisionKind,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol/api/reviews";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { AwsClient } from "aws4fetch";
import {
  type Account,
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  keccak256,
  stringToBytes,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { run } from "../../cli/src/main";
import { localAccount } from "../../contracts/scripts/local-accounts";
import { developmentMeasurementId } from "../../platform/src/services/chain-setup";

const stack = inject("stack");
const hub = stack.hubAddress as Address;
const chain = defineChain({
  id: stack.chainId,
  name: "anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [stack.rpcUrl] } },
});
const reader = createPublicClient({ chain, transport: http(stack.rpcUrl), pollingInterval: 50 });
const b32 = (s: string) => keccak256(stringToBytes(s));
const IMAGE = b32("review-it image");
const reviewer = localAccount("reviewer");
const outsider = localAccount("secondConsumer"); // reviews another dataset only

async function write(account: Account, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = createWalletClient({ account, chain, transport: http(stack.rpcUrl) });
  const hash = await wallet.writeContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName,
    args,
    value,
  } as never);
  const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  expect(receipt.status).toBe("success");
}

function read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
  return reader.readContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName,
    args,
  } as never) as Promise<T>;
}

/** The edge API's bearer token for the Privacy Plane, as the local stack generated it. */
const edgeToken = (
  JSON.parse(readFileSync(join(stack.stateDir, "secrets.json"), "utf8")) as { privacyPlaneApiToken: string }
).privacyPlaneApiToken;

/** A call as the edge API forwards it (with its token), or without the token when `anonymous`. */
async function pp(
  path: string,
  init: { method?: string; body?: unknown; caller?: Address; anonymous?: boolean } = {},
) {
  const res = await fetch(`${stack.privacyPlane}${path}`, {
    method: init.method ?? "GET",
    headers: {
      "content-type": "application/json",
      ...(init.anonymous ? {} : { authorization: `Bearer ${edgeToken}` }),
      ...(init.caller ? { "x-cce4long-caller": init.caller } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function decision(
  signer: typeof reviewer,
  jobId: Hex,
  datasetId: Hex,
  outputsCommitment: Hex,
  kind: ReviewDecisionKind,
  nonce: string,
) {
  const fields = {
    jobId,
    datasetId,
    outputsCommitment,
    decision: kind,
    reason: "Counts are aggregated over at least 30 people; nothing identifying.",
    reviewer: signer.address,
    nonce,
    deadline: Math.floor(Date.now() / 1000) + 600,
  };
  const signature = await signer.signTypedData({
    domain: reviewDecisionDomain(stack.chainId, hub),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage(fields),
  });
  return {
    ...fields,
    jobId: jobId.toLowerCase(),
    datasetId: datasetId.toLowerCase(),
    decisionCode: { approve: 4, reject: 5, "request-changes": 6 }[kind],
    signature,
    chainId: stack.chainId,
    verifyingContract: hub,
  };
}

const work = mkdtempSync(join(tmpdir(), "cce4long-review-it-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let datasetId: Hex;
let jobId: Hex;
let consumerKey: { publicKey: Uint8Array; privateKey: Uint8Array };

beforeAll(async () => {
  const keys = new DstackKeyProvider({ endpoint: stack.guestAgentSocket });
  const recorderKey = await keys.signingKey("chain-recorder");
  const recorder = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  const provider = localAccount("provider");
  const consumer = localAccount("consumer");
  const owner = localAccount("owner");
  const terms = { pricePerPeriod: 1000n, periodSeconds: 86_400n, exploreOffered: false, freePreview: false };
  const salt = b32(`review-it dataset ${Date.now()}`);
  await write(provider, "registerDataset", [
    salt,
    b32("meta"),
    "s3://catalogue/review-it.json",
    terms,
    [reviewer.address],
  ]);
  datasetId = datasetIdOf(provider.address, salt);
  const otherSalt = b32(`review-it other ${Date.now()}`);
  await write(localAccount("secondProvider"), "registerDataset", [
    otherSalt,
    b32("meta2"),
    "s3://c/2.json",
    terms,
    [outsider.address],
  ]);
  await write(recorder, "commitDatasetVersion", [datasetId, b32("review-it root")]);
  await write(owner, "setImageDigestAllowed", [datasetId, IMAGE, true]);
  await write(consumer, "rent", [datasetId, 1], 1000n);
  const pair = generateKeyPairSync("x25519");
  consumerKey = {
    publicKey: new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" }).subarray(12)),
    privateKey: new Uint8Array(pair.privateKey.export({ format: "der", type: "pkcs8" }).subarray(16)),
  };
  const jobSalt = b32(`review-it job ${Date.now()}`);
  await write(consumer, "requestJob", [
    jobSalt,
    datasetId,
    IMAGE,
    b32("spec"),
    bytesToHex(consumerKey.publicKey),
  ]);
  jobId = jobIdOf(consumer.address, jobSalt);
  await write(recorder, "recordJobDispatched", [jobId, 1]);
  await write(recorder, "recordJobKeyReleased", [jobId, developmentMeasurementId()]);
});

const TABLE = "sex,age_band,n\nF,60-69,120\nM,60-69,110\nF,70-79,90\nM,70-79,80\n";

describe("output review on the local stack", () => {
  let commitment: Hex;

  it("routes submitted outputs to review and records each step on-chain", async () => {
    const started = performance.now();
    const { status, json } = await pp(`/v1/insecure/jobs/${jobId}/outputs`, {
      method: "POST",
      body: {
        declared: [
          {
            kind: "frequency_table",
            path: "counts.csv",
            description: "participants by sex and age band",
            format: "csv",
            countColumn: "n",
            dimensionColumns: ["sex", "age_band"],
          },
        ],
        files: [{ path: "counts.csv", data: Buffer.from(TABLE).toString("base64") }],
      },
    });
    console.log(`outputs submitted -> needs-review: ${Math.round(performance.now() - started)} ms`);
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.state).toBe("needs-review");
    commitment = json.outputsCommitment as Hex;
    expect(await read<number>("jobStatus", [jobId])).toBe(JobStatus.UnderReview);
  });

  it("shows the dataset's reviewer the queue, the findings and the outputs, and nobody else", async () => {
    const queue = await pp(`/v1/reviews?datasetId=${datasetId}`, { caller: reviewer.address });
    expect(queue.status).toBe(200);
    expect((queue.json.items as { jobId: string }[]).map((i) => i.jobId)).toContain(jobId.toLowerCase());
    const detail = await pp(`/v1/reviews/${jobId}`, { caller: reviewer.address });
    expect(detail.status).toBe(200);
    const outputs = detail.json.outputs as { path: string; content: string }[];
    expect(Buffer.from(outputs[0]?.content ?? "", "base64").toString()).toBe(TABLE);
    expect((await pp(`/v1/reviews?datasetId=${datasetId}`, { caller: outsider.address })).status).toBe(403);
    expect((await pp(`/v1/reviews/${jobId}`, { caller: outsider.address })).status).toBe(403);
    // Only the edge API (holding the shared token) may ask on a reviewer's behalf.
    expect((await pp(`/v1/reviews/${jobId}`, { caller: reviewer.address, anonymous: true })).status).toBe(
      401,
    );
  });

  it("refuses a reviewer of another dataset, even with a valid signature of their own", async () => {
    const body = await decision(outsider, jobId, datasetId, commitment, "approve", "1");
    const res = await pp(`/v1/reviews/${jobId}/decision`, { method: "POST", body, caller: outsider.address });
    expect(res.status).toBe(403);
    expect(await read<number>("jobStatus", [jobId])).toBe(JobStatus.UnderReview);
  });

  it("releases once on the on-chain reviewer's signed approval, with a manifest that verifies", async () => {
    const body = await decision(reviewer, jobId, datasetId, commitment, "approve", "7");
    const started = performance.now();
    const res = await pp(`/v1/reviews/${jobId}/decision`, { method: "POST", body, caller: reviewer.address });
    console.log(
      `approval -> released (chain records, sealing, manifest, storage): ${Math.round(performance.now() - started)} ms`,
    );
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.state).toBe("released");
    expect(await read<number>("jobStatus", [jobId])).toBe(JobStatus.ResultReleased);

    const replay = await pp(`/v1/reviews/${jobId}/decision`, {
      method: "POST",
      body,
      caller: reviewer.address,
    });
    expect(replay.status).toBe(409);

    const secrets = JSON.parse(readFileSync(join(stack.stateDir, "secrets.json"), "utf8"));
    const s3 = new AwsClient({
      accessKeyId: secrets.objectStoreAccessKeyId,
      secretAccessKey: secrets.objectStoreSecretAccessKey,
      service: "s3",
      region: "auto",
    });
    const get = async (key: string) => {
      const r = await s3.fetch(`${stack.objectStore}/${BUCKETS.results}/${key}`);
      expect(r.status).toBe(200);
      return new Uint8Array(await r.arrayBuffer());
    };
    const unsigned = await fetch(
      `${stack.objectStore}/${BUCKETS.results}/${RESULT_OBJECT_KEYS.manifest(jobId.toLowerCase())}`,
    );
    expect(unsigned.status).toBe(403);
    const manifestFile = join(work, "manifest.json");
    writeFileSync(manifestFile, await get(RESULT_OBJECT_KEYS.manifest(jobId.toLowerCase())));
    const outputs = join(work, "outputs");
    await mkdir(outputs);
    writeFileSync(
      join(outputs, "counts.csv"),
      await get(RESULT_OBJECT_KEYS.output(jobId.toLowerCase(), "counts.csv")),
    );
    const keyFile = join(work, "result.key");
    writeFileSync(keyFile, Buffer.from(consumerKey.privateKey).toString("hex"), { mode: 0o600 });

    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const errSpy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let code: number;
    try {
      code = await run([
        "--json",
        "--rpc-url",
        stack.rpcUrl,
        "--hub",
        hub,
        "manifest",
        "verify",
        manifestFile,
        "--outputs",
        outputs,
        "--result-key",
        keyFile,
        "--job",
        jobId,
      ]);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    expect(code, stdout).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.checks).toEqual(
      expect.arrayContaining([
        "signature",
        "signer-authorized",
        "result-released-record",
        "output-files-decrypted",
      ]),
    );
    expect(result.reviews).toEqual([{ reviewer: reviewer.address, decision: "approve" }]);
  });
});
