/**
 * Key release (runs inside the TEE): the straight chain of checks, then the wrap and the on-chain
 * record. Each `ensure...` is its own file and test; this file only orders them. The record is mined
 * BEFORE the key leaves: the chain re-checks measurement, rental and image, and moves the job out of
 * `Dispatched`, so the same job can never receive a key twice, even across restarts. The keys wrapped
 * are those the credential's version manifest names; the lower layer's read URLs are minted only after
 * the record, and travel in the same signed answer.
 */
import { randomBytes } from "node:crypto";
import { canonicalJson } from "@cce4long/protocol/jobs/canonical-json";
import { wrapDatasetKey } from "@cce4long/sealing/ecdhe-wrap";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import { wipe } from "@cce4long/sealing/keys/wipe";
import { type Address, type Hex, hexToBytes, keccak256, stringToBytes } from "viem";
import type { DeploymentKind, QuoteVerifier, VerifiedReport } from "../attestation/quote-verifier";
import {
  type CredentialDomain,
  credentialNonceBytes,
  type JobCredentialClaims,
} from "../credentials/job-credential";
import type { NonceStore } from "../credentials/nonce-store";
import type { JobChain } from "../jobs/job-chain";
import type { JobSpecSource } from "../jobs/spec-source";
import {
  type CommittedLogHeadSource,
  ensureMeasurementLogged,
  type MeasurementProofSource,
} from "../transparency/ensure-measurement-logged";
import { KEY_RELEASE_DENIAL, keyReleaseDenied } from "./denial";
import { ensureCredentialValid } from "./ensure-credential-valid";
import { ensureEvidenceVerified } from "./ensure-evidence-verified";
import { ensureJobState } from "./ensure-job-state";
import { ensureMeasurementAllowed } from "./ensure-measurement-allowed";
import { ensureRentalActive } from "./ensure-rental-active";
import { ensureReportDataBound } from "./ensure-report-data-bound";
import { type LowerLayerSource, lowerLayerUrlSeconds } from "./lower-layer-source";
import type { KeyReleaseRequest, KeyReleaseResponseBody } from "./request";

/** What the dispatcher's job tracker hears from key release. */
export interface KeyReleaseHooks {
  /** Resolves once an in-flight dispatch of this job has been recorded on-chain (at once if none). */
  whenDispatched(jobId: Hex): Promise<void>;
  /** The key went to the job's VM: remember the outputs token's hash and the measurement. */
  keyReleased(
    jobId: Hex,
    release: { outputsTokenHash: Hex; measurementId: Hex; claims: JobCredentialClaims },
  ): void;
  /** A VM that proved it holds this job's credential and quote was refused by policy. */
  refusedAfterAttestation(jobId: Hex, reason: string): void;
}

export interface KeyReleaseDeps {
  deployment: DeploymentKind;
  credentialDomain: CredentialDomain;
  /** Address of the "job-credential" key: the only valid credential signer. */
  credentialIssuer: Address;
  /** Signs the response digest with the "job-credential" key (EIP-191). */
  signResponse(digest: Hex): Promise<Hex>;
  nonces: NonceStore;
  verifier: QuoteVerifier;
  chain: JobChain;
  /** DatasetKeyring.keyForRead in the service (refuses retired and unknown versions). */
  datasetKey(datasetId: string, keyVersion: number): Promise<DatasetKey>;
  specs: JobSpecSource;
  /** The credential's version manifest and the read URLs of its data objects. */
  lowerLayer: LowerLayerSource;
  /** The transparency log: the head committed on-chain, and proofs from an (untrusted) log server. */
  transparency: { head: CommittedLogHeadSource; log: MeasurementProofSource };
  gateOutputKey(): Promise<{ publicKey: Uint8Array; version: number }>;
  hooks: KeyReleaseHooks;
  now(): Date;
}

export interface KeyReleaseResult {
  body: KeyReleaseResponseBody & { signature: Hex };
  report: VerifiedReport;
}

export async function releaseKey(
  request: KeyReleaseRequest,
  deps: KeyReleaseDeps,
): Promise<KeyReleaseResult> {
  const now = deps.now();
  const claims = await ensureCredentialValid({
    credential: request.credential,
    domain: deps.credentialDomain,
    issuer: deps.credentialIssuer,
    nonces: deps.nonces,
    now,
  });
  const evidence = Uint8Array.from(Buffer.from(request.evidence, "base64"));
  const report = await ensureEvidenceVerified({
    evidence,
    verifier: deps.verifier,
    deployment: deps.deployment,
    now,
  });
  const ephemeralPublicKey = hexToBytes(request.ephemeralPublicKey as Hex);
  const credentialNonce = credentialNonceBytes(claims);
  ensureReportDataBound({ report, ephemeralPublicKey, credentialNonce });

  // From here on the caller is this job's attested VM: a refusal is the job's failure, not noise.
  try {
    await deps.hooks.whenDispatched(claims.jobId);
    await ensureMeasurementAllowed({
      chain: deps.chain,
      datasetId: claims.datasetId,
      measurementId: report.measurementId,
    });
    await ensureMeasurementLogged({
      measurementId: report.measurementId,
      deployment: deps.deployment,
      head: deps.transparency.head,
      log: deps.transparency.log,
    });
    const job = await ensureJobState({ chain: deps.chain, claims });
    await ensureRentalActive({ chain: deps.chain, job });
    if (!deps.nonces.consume(claims.nonce, Number(claims.expiresAt) * 1000)) {
      throw keyReleaseDenied(KEY_RELEASE_DENIAL.CREDENTIAL_REPLAYED, { jobId: claims.jobId, race: true });
    }
    const spec = await deps.specs.specFor(job.specCommitment);
    const gate = await deps.gateOutputKey();
    let manifest: Awaited<ReturnType<LowerLayerSource["manifestFor"]>>;
    try {
      manifest = await deps.lowerLayer.manifestFor(claims.datasetId, claims.manifestRoot);
    } catch (cause) {
      throw keyReleaseDenied(KEY_RELEASE_DENIAL.DATASET_VERSION_UNAVAILABLE, { jobId: claims.jobId }, cause);
    }
    // The keys the version's files are sealed under, and no other.
    const keyVersions = [
      ...new Set(manifest.entries.filter((e) => e.kind === "data").map((e) => e.keyVersion)),
    ].sort((a, b) => a - b);
    if (keyVersions.length === 0) {
      throw keyReleaseDenied(KEY_RELEASE_DENIAL.DATASET_VERSION_UNAVAILABLE, {
        jobId: claims.jobId,
        empty: true,
      });
    }
    const context = { jobId: claims.jobId, credentialNonce, datasetId: claims.datasetId };
    const wrappedKeys = [];
    for (const keyVersion of keyVersions) {
      let key: DatasetKey;
      try {
        key = await deps.datasetKey(claims.datasetId, keyVersion);
      } catch (cause) {
        throw keyReleaseDenied(
          KEY_RELEASE_DENIAL.KEY_VERSION_REFUSED,
          { jobId: claims.jobId, keyVersion },
          cause,
        );
      }
      try {
        const wrapped = wrapDatasetKey({
          datasetKey: key.key,
          recipientPublicKey: ephemeralPublicKey,
          context: { ...context, keyVersion },
        });
        wrappedKeys.push({ keyVersion, wrappedKey: Buffer.from(wrapped).toString("base64") });
      } finally {
        key.wipe();
      }
    }
    // The read URLs, valid for the job's run. Signed before the record (each is a local signature), so
    // nothing that can fail comes after it: a release on-chain always reaches the VM. They leave this
    // process only in the answer, with the release recorded.
    const urlSeconds = lowerLayerUrlSeconds(spec.resources.timeoutSeconds);
    let objects: KeyReleaseResponseBody["lowerLayer"]["objects"];
    try {
      objects = await deps.lowerLayer.readUrls(manifest, urlSeconds);
    } catch (cause) {
      throw keyReleaseDenied(KEY_RELEASE_DENIAL.DATASET_VERSION_UNAVAILABLE, { jobId: claims.jobId }, cause);
    }
    try {
      await deps.chain.recordKeyReleased(claims.jobId, report.measurementId);
    } catch (cause) {
      throw keyReleaseDenied(KEY_RELEASE_DENIAL.RECORD_REFUSED, { jobId: claims.jobId }, cause);
    }
    const outputsToken = randomBytes(32);
    const body: KeyReleaseResponseBody = {
      jobId: claims.jobId,
      datasetId: claims.datasetId,
      datasetVersion: claims.datasetVersion,
      manifestRoot: claims.manifestRoot,
      credentialDomain: { chainId: deps.credentialDomain.chainId, hub: deps.credentialDomain.hub },
      wrappedKeys,
      spec,
      gateOutputPublicKey: `0x${Buffer.from(gate.publicKey).toString("hex")}`,
      gateOutputKeyVersion: gate.version,
      outputsToken: outputsToken.toString("base64url"),
      lowerLayer: {
        manifest,
        objects,
        expiresAt: new Date(now.getTime() + urlSeconds * 1000).toISOString(),
      },
    };
    deps.hooks.keyReleased(claims.jobId, {
      outputsTokenHash: keccak256(outputsToken),
      measurementId: report.measurementId,
      claims,
    });
    wipe(outputsToken);
    const signature = await deps.signResponse(keyReleaseResponseDigest(body));
    return { body: { ...body, signature }, report };
  } catch (error) {
    deps.hooks.refusedAfterAttestation(claims.jobId, reasonOf(error));
    throw error;
  }
}

/** keccak256 of the canonical JSON of the response without its signature: what the VM checks. */
export function keyReleaseResponseDigest(body: KeyReleaseResponseBody): Hex {
  return keccak256(stringToBytes(canonicalJson(body)));
}

function reasonOf(error: unknown): string {
  const detail = (error as { detail?: { reason?: unknown } }).detail;
  return typeof detail?.reason === "string" ? detail.reason : "INTERNAL";
}
