/**
 * The audit of one dataset (runs on an auditor's or user's machine): its full on-chain history from one
 * `eth_getLogs` over the hub with the dataset id as topic 1, grouped per job, and the checks anyone can
 * run: each job's algorithm record against its spec commitment and image digest (DA layer), each key
 * release's measurement against the transparency log head committed on-chain AT THAT BLOCK, and each
 * result's manifest against its on-chain hash (when the manifest files are at hand).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { algorithmKeys } from "@cce4long/protocol/algorithms/algorithm-record";
import type { DataAvailability } from "@cce4long/protocol/algorithms/data-availability";
import { fetchVerifiedAlgorithm } from "@cce4long/protocol/algorithms/publish-fetch";
import { cce4longHubAbi } from "@cce4long/protocol/chain/generated/index";
import { type DatasetAuditEntry, fetchDatasetAuditTrail } from "@cce4long/protocol/chain/index";
import { JobFailureReason, OutputDecision } from "@cce4long/protocol/chain/lifecycle";
import { imageDigestBytes32, jobSpecCommitment, parseJobSpec } from "@cce4long/protocol/jobs/job-spec";
import { resultManifestHash } from "@cce4long/protocol/manifest/manifest-hash";
import { manifestBody, SignedResultManifestSchema } from "@cce4long/protocol/manifest/result-manifest";
import type { TransparencyLog } from "@cce4long/protocol/transparency/log";
import { type LogHead, verifyEntryInHead } from "@cce4long/protocol/transparency/proofs";
import type { Address, Hex, PublicClient } from "viem";

export type CheckStatus = "ok" | "failed" | "unavailable";

export interface AuditCheck {
  kind: "algorithm-record" | "measurement-logged" | "result-manifest";
  jobId: Hex;
  status: CheckStatus;
  detail: string;
}

export interface AuditEvent {
  block: number;
  logIndex: number;
  transaction: Hex;
  event: string;
  args: Record<string, unknown>;
}

export interface AuditJob {
  jobId: Hex;
  consumer?: Address;
  imageDigest?: Hex;
  specCommitment?: Hex;
  /** The last lifecycle event seen. */
  lastEvent: string;
  measurementIds: Hex[];
  resultManifestHash?: Hex;
  /** Set for an Explore export held for review (ExploreExportSubmitted): the session it left. */
  exploreSessionId?: Hex;
  /** Where the records behind the job live. */
  links: { algorithmRecord?: string; jobSpec?: string; resultManifest?: string };
}

export interface DatasetAuditReport {
  datasetId: Hex;
  hub: Address;
  fromBlock: number;
  events: AuditEvent[];
  jobs: AuditJob[];
  checks: AuditCheck[];
  /** No check failed (unavailable checks do not fail the audit). */
  ok: boolean;
}

export interface DatasetAuditOptions {
  client: Pick<PublicClient, "request" | "readContract">;
  hub: Address;
  datasetId: Hex;
  fromBlock: bigint;
  /** Where algorithm records are; without it the algorithm checks are "unavailable". */
  da?: DataAvailability;
  /** The transparency log (its proofs are checked against the on-chain head, not trusted). */
  transparencyLog?: TransparencyLog;
  /** A folder of signed Result Manifest JSON files. */
  manifestsDir?: string;
}

export async function auditDataset(options: DatasetAuditOptions): Promise<DatasetAuditReport> {
  let entries: DatasetAuditEntry[];
  try {
    entries = await fetchDatasetAuditTrail(options.client, {
      hub: options.hub,
      datasetId: options.datasetId,
      fromBlock: options.fromBlock,
    });
  } catch (cause) {
    throw new Cce4longError("CHAIN_UNREACHABLE", "cannot read the dataset's history from the chain", {
      cause,
    });
  }
  if (entries.length === 0) {
    throw new Cce4longError(
      "NOT_FOUND",
      `no on-chain record of dataset ${options.datasetId} at hub ${options.hub}`,
    );
  }
  const events = entries.map(toEvent);
  const jobs = jobsOf(entries, options.da !== undefined);
  const manifests = options.manifestsDir ? loadManifests(options.manifestsDir) : undefined;
  const checks: AuditCheck[] = [];
  for (const job of jobs) {
    checks.push(await checkAlgorithm(job, options.da));
    for (const entry of entries) {
      if (
        entry.eventName === "JobKeyReleased" &&
        entry.args.jobId === job.jobId &&
        entry.blockNumber !== null
      ) {
        checks.push(
          await checkMeasurement(options, job.jobId, entry.args.measurementId as Hex, entry.blockNumber),
        );
      }
    }
    if (job.resultManifestHash) checks.push(checkManifest(job, manifests));
  }
  return {
    datasetId: options.datasetId,
    hub: options.hub,
    fromBlock: Number(options.fromBlock),
    events,
    jobs,
    checks,
    ok: checks.every((check) => check.status !== "failed"),
  };
}

function toEvent(entry: DatasetAuditEntry): AuditEvent {
  const args: Record<string, unknown> = { ...(entry.args as Record<string, unknown>) };
  delete args.datasetId;
  if (entry.eventName === "JobOutputDecided")
    args.decisionName = nameOf(OutputDecision, Number(args.decision));
  if (entry.eventName === "JobFailed") args.reason = nameOf(JobFailureReason, Number(args.reasonCode));
  return {
    block: Number(entry.blockNumber),
    logIndex: entry.logIndex,
    transaction: entry.transactionHash,
    event: entry.eventName,
    args,
  };
}

function jobsOf(entries: readonly DatasetAuditEntry[], haveDa: boolean): AuditJob[] {
  const jobs = new Map<Hex, AuditJob>();
  for (const entry of entries) {
    const args = entry.args as Record<string, unknown>;
    // An Explore export held for review is a review item under its export id (contracts ExploreExports).
    const isExport = entry.eventName === "ExploreExportSubmitted";
    const jobId = (isExport ? args.exportId : args.jobId) as Hex | undefined;
    if (!(isExport || entry.eventName.startsWith("Job")) || jobId === undefined) continue;
    const job = jobs.get(jobId) ?? { jobId, lastEvent: entry.eventName, measurementIds: [], links: {} };
    job.lastEvent = entry.eventName;
    if (isExport) job.exploreSessionId = args.sessionId as Hex;
    if (entry.eventName === "JobRequested") {
      job.consumer = args.consumer as Address;
      job.imageDigest = args.imageDigest as Hex;
      job.specCommitment = args.specCommitment as Hex;
      job.links.algorithmRecord = algorithmKeys.record(job.specCommitment);
      job.links.jobSpec = algorithmKeys.spec(job.specCommitment);
      if (!haveDa) job.links.algorithmRecord = `${job.links.algorithmRecord} (no DA layer given)`;
    }
    if (entry.eventName === "JobKeyReleased") job.measurementIds.push(args.measurementId as Hex);
    if (entry.eventName === "JobResultReleased") job.resultManifestHash = args.resultManifestHash as Hex;
    jobs.set(jobId, job);
  }
  return [...jobs.values()];
}

async function checkAlgorithm(job: AuditJob, da: DataAvailability | undefined): Promise<AuditCheck> {
  const check = (status: CheckStatus, detail: string): AuditCheck => ({
    kind: "algorithm-record",
    jobId: job.jobId,
    status,
    detail,
  });
  if (job.exploreSessionId) {
    return check("ok", `an Explore export of session ${job.exploreSessionId}: no algorithm ran`);
  }
  if (!job.specCommitment)
    return check("failed", "the job has no JobRequested event in this dataset's history");
  if (!da) return check("unavailable", "no data-availability layer given (--algorithms or --object-store)");
  const expected = { specCommitment: job.specCommitment, onChainImageDigest: job.imageDigest };
  try {
    const verified = await fetchVerifiedAlgorithm(da, expected);
    return check(
      "ok",
      `spec ${verified.spec.name}, image ${verified.record.imageDigest}, source sha256 ${verified.record.source.sha256} (${verified.record.source.binding})`,
    );
  } catch (error) {
    if (!(error instanceof Cce4longError) || error.code !== "NOT_FOUND")
      return check("failed", messageOf(error));
  }
  // No full record: a spec alone still proves what ran (but not its source).
  const specBytes = await da.get(algorithmKeys.spec(job.specCommitment));
  if (specBytes === null) return check("failed", `neither record nor spec is in ${da.name}`);
  try {
    const spec = parseJobSpec(JSON.parse(new TextDecoder().decode(specBytes)));
    if (jobSpecCommitment(spec) !== job.specCommitment.toLowerCase()) {
      return check("failed", "the stored job spec does not hash to the on-chain spec commitment");
    }
    if (job.imageDigest && imageDigestBytes32(spec.image.digest) !== job.imageDigest.toLowerCase()) {
      return check("failed", "the stored job spec names another image than the job request");
    }
  } catch (error) {
    return check("failed", `the stored job spec is malformed: ${messageOf(error)}`);
  }
  return check("ok", "job spec matches the commitment; no source record published");
}

async function checkMeasurement(
  options: DatasetAuditOptions,
  jobId: Hex,
  measurementId: Hex,
  block: bigint,
): Promise<AuditCheck> {
  const check = (status: CheckStatus, detail: string): AuditCheck => ({
    kind: "measurement-logged",
    jobId,
    status,
    detail,
  });
  if (!options.transparencyLog)
    return check("unavailable", `measurement ${measurementId}: no --transparency-log given`);
  let head: LogHead;
  try {
    const [treeSize, rootHash] = (await options.client.readContract({
      address: options.hub,
      abi: cce4longHubAbi,
      functionName: "transparencyLogHead",
      blockNumber: block,
    })) as readonly [bigint, Hex];
    head = { treeSize: Number(treeSize), rootHash: rootHash.toLowerCase() as Hex };
  } catch (cause) {
    throw new Cce4longError("CHAIN_UNREACHABLE", "cannot read the transparency log head from the chain", {
      cause,
    });
  }
  if (head.treeSize === 0) {
    return check(
      "failed",
      `measurement ${measurementId}: no log head was committed when the key was released`,
    );
  }
  if (options.transparencyLog.size < head.treeSize) {
    return check(
      "failed",
      `the log given has ${options.transparencyLog.size} leaves, the head at block ${block} ${head.treeSize}`,
    );
  }
  const proven = options.transparencyLog.proveMeasurement(measurementId, head.treeSize);
  if (!proven)
    return check(
      "failed",
      `measurement ${measurementId} was not in the log (size ${head.treeSize}) at block ${block}`,
    );
  try {
    verifyEntryInHead(head, proven, `measurement ${measurementId}`);
  } catch (error) {
    return check("failed", messageOf(error));
  }
  return check(
    "ok",
    `measurement ${measurementId} is leaf ${proven.inclusion.leafIndex} of the log head (size ${head.treeSize}) at block ${block}`,
  );
}

interface LoadedManifest {
  file: string;
  jobId: Hex;
  hash: Hex;
}

function loadManifests(dir: string): LoadedManifest[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort();
  } catch (cause) {
    throw new Cce4longError("BAD_REQUEST", `cannot read the manifests folder ${dir}`, { cause });
  }
  const loaded: LoadedManifest[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    const parsed = SignedResultManifestSchema.safeParse(json);
    if (!parsed.success) continue;
    const body = manifestBody(parsed.data);
    loaded.push({ file, jobId: body.jobId as Hex, hash: resultManifestHash(body) });
  }
  return loaded;
}

function checkManifest(job: AuditJob, manifests: LoadedManifest[] | undefined): AuditCheck {
  const check = (status: CheckStatus, detail: string): AuditCheck => ({
    kind: "result-manifest",
    jobId: job.jobId,
    status,
    detail,
  });
  const onChain = job.resultManifestHash!.toLowerCase();
  if (!manifests) return check("unavailable", `manifest ${onChain}: no --manifests folder given`);
  const match = manifests.find((manifest) => manifest.hash === onChain);
  if (match) {
    job.links.resultManifest = match.file;
    if (match.jobId.toLowerCase() !== job.jobId.toLowerCase()) {
      return check("failed", `${match.file} has the on-chain hash but names job ${match.jobId}`);
    }
    return check("ok", `${match.file} hashes to the on-chain manifest hash`);
  }
  const forJob = manifests.find((manifest) => manifest.jobId.toLowerCase() === job.jobId.toLowerCase());
  if (forJob) return check("failed", `${forJob.file} is this job's manifest but does not hash to ${onChain}`);
  return check("unavailable", `no manifest file hashes to ${onChain}`);
}

function nameOf(table: Record<string, number>, value: number): string {
  return Object.entries(table).find(([, code]) => code === value)?.[0] ?? `unknown(${value})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
