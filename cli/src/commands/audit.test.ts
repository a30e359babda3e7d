/**
 * `cce4long audit DATASET` against a real anvil with a scripted history (runs in Node): a dataset,
 * a rental, an Explore session with an export held for review, a job that ran to a released result
 * under a logged measurement, a job whose VM measurement was never logged, and a job whose stored
 * algorithm was tampered with.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileLogStore } from "@cce4long/enclave-runtime/transparency/file-log-store";
import { freePort } from "@cce4long/platform/ports";
import { type RunningAnvil, startAnvil } from "@cce4long/platform/services/anvil";
import { algorithmKeys, buildAlgorithm } from "@cce4long/protocol/algorithms/algorithm-record";
import { publishAlgorithm } from "@cce4long/protocol/algorithms/publish-fetch";
import { cce4longHubAbi, datasetIdOf, jobIdOf } from "@cce4long/protocol/chain/index";
import { OutputDecision } from "@cce4long/protocol/chain/lifecycle";
import { directoryImageDigest } from "@cce4long/protocol/jobs/directory-image";
import { imageDigestBytes32, jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import { resultManifestHash } from "@cce4long/protocol/manifest/manifest-hash";
import type { ResultManifestBody } from "@cce4long/protocol/manifest/result-manifest";
import { TransparencyLog } from "@cce4long/protocol/transparency/log";
import { commitLogHead } from "@cce4long/protocol/transparency/onchain-head";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  sha256,
  stringToBytes,
} from "viem";
import { anvil as anvilChain } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deployContracts } from "../../../contracts/scripts/deploy";
import { ANVIL_ACCOUNT0_KEY, type LocalRole, localAccount } from "../../../contracts/scripts/local-accounts";
import { EXIT } from "../exit-codes";
import { run } from "../main";
import { directoryDataAvailability } from "../sdk/audit/directory-da";

const b32 = (label: string) => keccak256(stringToBytes(label));
const enc = (text: string) => new TextEncoder().encode(text);
const TERMS = {
  pricePerPeriod: 10n ** 15n,
  periodSeconds: 86_400n,
  exploreOffered: true,
  freePreview: false,
};
const LOGGED = b32("measurement of the recorded cvm build");
const UNLOGGED = b32("measurement of an image nobody logged");
const EXPORT_ID = b32("explore export");

function algorithmOf(name: string) {
  const files = [{ path: "main.py", bytes: enc(`print(${JSON.stringify(name)})\n`) }];
  const spec = {
    apiVersion: "cce4long.dev/job/v1",
    name,
    image: {
      digest: directoryImageDigest(files.map((f) => ({ path: f.path, sha256: sha256(f.bytes).slice(2) }))),
    },
    command: ["/usr/bin/python3", "main.py"],
    outputs: [{ kind: "free_text", path: "out.txt", description: "the output", format: "txt" }],
  };
  return { spec, algorithm: buildAlgorithm(spec, files), commitment: jobSpecCommitment(spec) };
}

let dir = "";
let anvil: RunningAnvil;
let rpcUrl = "";
let hub: Address;
let publicClient: PublicClient;
let datasetId: Hex;
const jobs = { released: "0x" as Hex, unlogged: "0x" as Hex, tampered: "0x" as Hex };
let manifestFile = "";

async function write(role: LocalRole, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = createWalletClient({
    account: localAccount(role),
    chain: anvilChain,
    transport: http(rpcUrl),
  });
  const hash = await wallet.writeContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName,
    args,
    value,
  } as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-audit-"));
  anvil = await startAnvil({ port: await freePort(), logFile: join(dir, "anvil.log") });
  rpcUrl = anvil.rpcUrl;
  publicClient = createPublicClient({ chain: anvilChain, transport: http(rpcUrl), pollingInterval: 20 });
  const deployment = await deployContracts({
    rpcUrl,
    deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
    outFile: join(dir, "deployment.json"),
    privacyPlaneSigners: [localAccount("privacyPlaneSigner").address],
  });
  hub = deployment.contracts.hub.address;

  // The DA layer (a folder mirror) with three algorithms; the third is tampered with after publishing.
  const da = directoryDataAvailability(join(dir, "algorithms"));
  const [good, second, tampered] = [
    algorithmOf("good-job"),
    algorithmOf("second-job"),
    algorithmOf("tampered-job"),
  ];
  for (const a of [good, second, tampered]) await publishAlgorithm(da, a.algorithm);
  const sourceKey = algorithmKeys.source(tampered.algorithm.record.source.sha256);
  const evil = tampered.algorithm.sourceTar.slice();
  evil[512]! ^= 0x01;
  await da.put(sourceKey, evil, "application/x-tar");

  // The transparency log holds LOGGED only; its head goes on-chain.
  const log = await TransparencyLog.open(fileLogStore(join(dir, "transparency.jsonl")));
  await log.append({
    apiVersion: "cce4long.dev/transparency-entry/v1",
    kind: "vm-measurement",
    loggedAt: "2026-11-21T10:00:00Z",
    measurementId: LOGGED,
    origin: "build",
  });
  const owner = createWalletClient({
    account: localAccount("owner"),
    chain: anvilChain,
    transport: http(rpcUrl),
  });
  await commitLogHead({ wallet: owner, publicClient, hub }, log.head());

  const salt = b32("audit dataset");
  datasetId = datasetIdOf(localAccount("provider").address, salt);
  await write("provider", "registerDataset", [
    salt,
    b32("meta"),
    "s3://catalogue/audit.json",
    TERMS,
    [localAccount("reviewer").address],
  ]);
  await write("privacyPlaneSigner", "commitDatasetVersion", [datasetId, b32("root v1")]);
  for (const a of [good, second, tampered]) {
    await write("owner", "setImageDigestAllowed", [datasetId, imageDigestBytes32(a.spec.image.digest), true]);
  }
  await write("owner", "setMeasurementAllowed", [datasetId, LOGGED, true]);
  await write("owner", "setMeasurementAllowed", [datasetId, UNLOGGED, true]);
  await write("consumer", "rent", [datasetId, 1], TERMS.pricePerPeriod);
  await write("privacyPlaneSigner", "recordExploreSessionOpened", [
    datasetId,
    b32("session"),
    localAccount("consumer").address,
  ]);
  // A file taken out of the session that the gate held for review (a review item under its export id).
  await write("privacyPlaneSigner", "recordExploreExportSubmitted", [
    datasetId,
    b32("session"),
    EXPORT_ID,
    1,
    b32("export result key"),
    b32("export outputs"),
  ]);
  await write("privacyPlaneSigner", "recordExploreSessionClosed", [datasetId, b32("session"), 0]);

  const consumer = localAccount("consumer").address;
  const request = async (label: string, a: ReturnType<typeof algorithmOf>) => {
    await write("consumer", "requestJob", [
      b32(label),
      datasetId,
      imageDigestBytes32(a.spec.image.digest),
      a.commitment,
      b32("result key"),
    ]);
    return jobIdOf(consumer, b32(label));
  };
  jobs.released = await request("job released", good);
  await write("privacyPlaneSigner", "recordJobDispatched", [jobs.released, 1]);
  await write("privacyPlaneSigner", "recordJobKeyReleased", [jobs.released, LOGGED]);
  await write("privacyPlaneSigner", "recordJobOutputsSubmitted", [jobs.released, b32("outputs")]);
  await write("privacyPlaneSigner", "recordJobOutputDecision", [
    jobs.released,
    OutputDecision.AutoApproved,
    "0x0000000000000000000000000000000000000000",
    b32("decision"),
  ]);
  const body: ResultManifestBody = {
    kind: "cce4long/result-manifest",
    version: 1,
    chainId: anvil.chainId,
    hub,
    jobId: jobs.released,
    datasetId,
    datasetVersion: 1,
    datasetVersionRoot: b32("root v1"),
    consumer,
    imageDigest: imageDigestBytes32(good.spec.image.digest),
    specCommitment: good.commitment,
    measurementId: LOGGED,
    outputsCommitment: b32("outputs"),
    encryption: "hpke-x25519-hkdf-sha256-aes256gcm/v1",
    resultPublicKey: b32("result key"),
    outputs: [],
    gate: { decision: "auto-approved", files: [], setRules: [], checkedAt: "2026-11-21T10:00:00Z" },
    reviews: [],
    submittedAt: "2026-11-21T10:00:00Z",
    releasedAt: "2026-11-21T10:01:00Z",
    signer: localAccount("privacyPlaneSigner").address,
  };
  const manifestHash = resultManifestHash(body);
  await write("privacyPlaneSigner", "recordJobResultReleased", [jobs.released, manifestHash]);
  mkdirSync(join(dir, "manifests"));
  manifestFile = join(dir, "manifests", "released.json");
  writeFileSync(manifestFile, JSON.stringify({ ...body, manifestHash, signature: `0x${"11".repeat(65)}` }));

  jobs.unlogged = await request("job unlogged", second);
  await write("privacyPlaneSigner", "recordJobDispatched", [jobs.unlogged, 1]);
  await write("privacyPlaneSigner", "recordJobKeyReleased", [jobs.unlogged, UNLOGGED]);

  jobs.tampered = await request("job tampered", tampered);
}, 120_000);

afterAll(async () => {
  await anvil?.process.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await run(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const chain = () => ["--rpc-url", rpcUrl, "--deployment", join(dir, "deployment.json")];
const everything = () => [
  ...chain(),
  "--algorithms",
  join(dir, "algorithms"),
  "--transparency-log",
  join(dir, "transparency.jsonl"),
  "--manifests",
  join(dir, "manifests"),
];

describe("cce4long audit", () => {
  it("prints the whole history in chain order from one query", async () => {
    const { code, stdout } = await cli("--json", "audit", datasetId, ...chain());
    expect(code).toBe(EXIT.OK); // nothing checkable without the public records: all "unavailable"
    const report = JSON.parse(stdout);
    expect(report.events.map((e: { event: string }) => e.event)).toEqual([
      "DatasetRegistered",
      "DatasetReviewersChanged",
      "DatasetVersionCommitted",
      "ImageDigestPolicyChanged",
      "ImageDigestPolicyChanged",
      "ImageDigestPolicyChanged",
      "MeasurementPolicyChanged",
      "MeasurementPolicyChanged",
      "RentalStarted",
      "ExploreSessionOpened",
      "ExploreExportSubmitted",
      "ExploreSessionClosed",
      "JobRequested",
      "JobDispatched",
      "JobKeyReleased",
      "JobOutputsSubmitted",
      "JobOutputDecided",
      "JobResultReleased",
      "JobRequested",
      "JobDispatched",
      "JobKeyReleased",
      "JobRequested",
    ]);
    const blocks = report.events.map((e: { block: number }) => e.block);
    expect(blocks).toEqual([...blocks].sort((a, b) => a - b));
    expect(report.events[16].args.decisionName).toBe("AutoApproved");
    expect(report.jobs[0]).toMatchObject({ jobId: EXPORT_ID, exploreSessionId: b32("session") });
    expect(report.jobs[1]).toMatchObject({
      jobId: jobs.released,
      lastEvent: "JobResultReleased",
      measurementIds: [LOGGED],
    });
    // The export's only check needs no public record: no algorithm ran.
    const [exported, ...rest] = report.checks as { jobId: Hex; status: string; detail: string }[];
    expect(exported).toMatchObject({
      jobId: EXPORT_ID,
      status: "ok",
      detail: expect.stringContaining("Explore export"),
    });
    expect(rest.every((c) => c.status === "unavailable")).toBe(true);
  });

  it("links each job to its algorithm record and manifest and checks them", async () => {
    const { code, stdout } = await cli("--json", "audit", datasetId, ...everything());
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    // Failed checks exit 4, and stdout stays exactly one JSON document: the report.
    const report = JSON.parse(stdout);
    const status = (jobId: Hex, kind: string) =>
      report.checks.find((c: { jobId: Hex; kind: string }) => c.jobId === jobId && c.kind === kind);
    expect(status(jobs.released, "algorithm-record")).toMatchObject({ status: "ok" });
    expect(status(jobs.released, "measurement-logged")).toMatchObject({ status: "ok" });
    expect(status(jobs.released, "result-manifest")).toMatchObject({
      status: "ok",
      detail: expect.stringContaining(manifestFile),
    });
    expect(report.jobs[1].links.algorithmRecord).toMatch(/^algorithm-records\/0x[0-9a-f]{64}\.json$/);
    expect(report.jobs[1].links.resultManifest).toBe(manifestFile);
    expect(report.ok).toBe(false);
  });

  it("error: a key released to a measurement not in the log fails the audit", async () => {
    const { code, stdout, stderr } = await cli("audit", datasetId, ...everything());
    expect(code).toBe(EXIT.VERIFICATION_FAILED);
    expect(stdout).toMatch(
      new RegExp(`measurement-logged .*failed +measurement ${UNLOGGED} was not in the log`),
    );
    expect(stderr).toContain("error [AUDIT_CHECK_FAILED]: 2 checks failed");
  });

  it("error: a tampered stored algorithm fails the audit", async () => {
    const { stdout } = await cli("--json", "audit", datasetId, ...everything());
    // Failed checks exit 4, and stdout stays exactly one JSON document: the report.
    const report = JSON.parse(stdout);
    const check = report.checks.find(
      (c: { jobId: Hex; kind: string }) => c.jobId === jobs.tampered && c.kind === "algorithm-record",
    );
    expect(check).toMatchObject({
      status: "failed",
      detail: "the source tarball does not match the sha256 in the algorithm record",
    });
  });

  it("error: an altered manifest file does not match the on-chain hash", async () => {
    const altered = join(dir, "manifests-altered");
    mkdirSync(altered);
    const original = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(manifestFile, "utf8")));
    writeFileSync(
      join(altered, "released.json"),
      JSON.stringify({ ...original, releasedAt: "2026-11-21T11:00:00Z" }),
    );
    const { stdout } = await cli("--json", "audit", datasetId, ...chain(), "--manifests", altered);
    // Failed checks exit 4, and stdout stays exactly one JSON document: the report.
    const report = JSON.parse(stdout);
    expect(report.checks.find((c: { kind: string }) => c.kind === "result-manifest")).toMatchObject({
      status: "failed",
      detail: expect.stringContaining("does not hash to"),
    });
  });

  it("error: an unknown dataset exits NOT_FOUND, a bad id INVALID_INPUT, a dead chain UNAVAILABLE", async () => {
    expect((await cli("audit", b32("nobody's dataset"), ...chain())).code).toBe(EXIT.NOT_FOUND);
    expect((await cli("audit", "0x1234", ...chain())).code).toBe(EXIT.INVALID_INPUT);
    const dead = `http://127.0.0.1:${await freePort()}`;
    expect((await cli("audit", datasetId, "--rpc-url", dead, "--hub", hub)).code).toBe(EXIT.UNAVAILABLE);
    expect((await cli("audit", datasetId)).code).toBe(EXIT.INVALID_INPUT);
  });
});
