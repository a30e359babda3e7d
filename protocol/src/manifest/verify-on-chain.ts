/**
 * On-chain verification of a Result Manifest (runs anywhere with an RPC endpoint): the signer is an
 * authorized Privacy Plane signer, the hub's job record matches what the manifest says ran, and the
 * chain's "result released" record carries exactly this manifest's hash (so a manifest replayed from
 * another job, or signed but never released, fails). An Explore export held for review ran on no VM: its
 * manifest names no measurement (zero), and instead the chain must show the export leaving that session.
 */
import { type Hex, isAddressEqual, type PublicClient } from "viem";
import { cce4longHubAbi } from "../chain/generated/index";
import { JobStatus } from "../chain/lifecycle";
import type { SignedResultManifest } from "./result-manifest";
import { manifestInvalid } from "./verify-manifest";

/** The measurement an Explore export's manifest names: none, it ran in the Privacy Plane's own TEE. */
export const NO_MEASUREMENT = `0x${"00".repeat(32)}`;

export interface OnChainVerificationOptions {
  client: PublicClient;
  /** The hub the user trusts (from their own configuration, not from the manifest). */
  hub: Hex;
  /** Where to start looking for events (the hub's deployment block); 0 by default. */
  fromBlock?: bigint;
}

export async function verifyManifestOnChain(
  manifest: SignedResultManifest,
  manifestHash: Hex,
  options: OnChainVerificationOptions,
): Promise<string[]> {
  const { client, hub } = options;
  const checks: string[] = [];
  if (!isAddressEqual(hub, manifest.hub as Hex)) {
    throw manifestInvalid(`the manifest names hub ${manifest.hub}, not ${hub}`);
  }
  const chainId = await client.getChainId();
  if (chainId !== manifest.chainId) {
    throw manifestInvalid(`the manifest is for chain ${manifest.chainId}, the RPC serves chain ${chainId}`);
  }
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    client.readContract({ address: hub, abi: cce4longHubAbi, functionName, args } as never) as Promise<T>;

  if (!(await read<boolean>("isPrivacyPlaneSigner", [manifest.signer]))) {
    throw manifestInvalid(`the signer ${manifest.signer} is not an authorized Privacy Plane signer on-chain`);
  }
  checks.push("signer-authorized");

  const status = await read<number>("jobStatus", [manifest.jobId]);
  if (status !== JobStatus.ResultReleased) {
    throw manifestInvalid(
      `the job's on-chain status is ${status}, not ResultReleased (${JobStatus.ResultReleased})`,
    );
  }
  const job = await read<{
    consumer: Hex;
    datasetVersion: number;
    datasetId: Hex;
    imageDigest: Hex;
    specCommitment: Hex;
    resultPublicKey: Hex;
  }>("getJob", [manifest.jobId]);
  const mismatched = [
    ["datasetId", job.datasetId.toLowerCase() === manifest.datasetId],
    ["imageDigest", job.imageDigest.toLowerCase() === manifest.imageDigest],
    ["specCommitment", job.specCommitment.toLowerCase() === manifest.specCommitment],
    ["resultPublicKey", job.resultPublicKey.toLowerCase() === manifest.resultPublicKey],
    ["consumer", isAddressEqual(job.consumer, manifest.consumer as Hex)],
    ["datasetVersion", Number(job.datasetVersion) === manifest.datasetVersion],
  ].flatMap(([name, ok]) => (ok ? [] : [name as string]));
  if (mismatched.length > 0) {
    throw manifestInvalid(`the on-chain job record differs in ${mismatched.join(", ")}`);
  }
  const root = await read<Hex>("datasetVersionRoot", [manifest.datasetId, manifest.datasetVersion]);
  if (root.toLowerCase() !== manifest.datasetVersionRoot) {
    throw manifestInvalid("the dataset version root differs from the one committed on-chain");
  }
  checks.push("job-record");

  const fromBlock = options.fromBlock ?? 0n;
  const released = await client.getContractEvents({
    address: hub,
    abi: cce4longHubAbi,
    eventName: "JobResultReleased",
    args: { datasetId: manifest.datasetId as Hex, jobId: manifest.jobId as Hex },
    fromBlock,
    strict: true,
  });
  const hashes = released.map((log) =>
    (log.args as { resultManifestHash: Hex }).resultManifestHash.toLowerCase(),
  );
  if (!hashes.includes(manifestHash)) {
    throw manifestInvalid(
      hashes.length === 0
        ? "no result-released record for this job on-chain"
        : "the on-chain result-released record carries another manifest hash",
      { onChain: hashes, manifestHash },
    );
  }
  checks.push("result-released-record");

  if (manifest.measurementId === NO_MEASUREMENT) {
    const exported = await client.getContractEvents({
      address: hub,
      abi: cce4longHubAbi,
      eventName: "ExploreExportSubmitted",
      args: { datasetId: manifest.datasetId as Hex, exportId: manifest.jobId as Hex },
      fromBlock,
      strict: true,
    });
    const sessions = exported.map((log) => (log.args as { sessionId: Hex }).sessionId.toLowerCase());
    if (!sessions.includes(manifest.specCommitment)) {
      throw manifestInvalid("no measurement, and no Explore export record of this id from this session");
    }
    checks.push("explore-export-record");
    return checks;
  }

  const keyReleases = await client.getContractEvents({
    address: hub,
    abi: cce4longHubAbi,
    eventName: "JobKeyReleased",
    args: { datasetId: manifest.datasetId as Hex, jobId: manifest.jobId as Hex },
    fromBlock,
    strict: true,
  });
  const measurements = keyReleases.map((log) =>
    (log.args as { measurementId: Hex }).measurementId.toLowerCase(),
  );
  if (!measurements.includes(manifest.measurementId)) {
    throw manifestInvalid("the attested measurement differs from the one recorded at key release");
  }
  checks.push("measurement-record");
  return checks;
}
