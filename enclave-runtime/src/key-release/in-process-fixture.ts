/**
 * An in-process Privacy Plane key-release endpoint over fakes (tests and the key-release bench only):
 * the real route, ensure chain, wrap and response signature, with a fake chain, a fixed dataset key,
 * the development verifier, a version manifest with one data file under key version 1 (not bound to
 * the credential's root: the server side trusts its source here; the agent checks the root), and a
 * dispatched job ready for its key.
 */
import { randomBytes } from "node:crypto";
import { buildManifest, DATASET_MANIFEST_FORMAT } from "@cce4long/protocol/datasets/manifest";
import { jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import { memoryLogStore, TransparencyLog } from "@cce4long/protocol/transparency/log";
import { TRANSPARENCY_ENTRY_API_VERSION } from "@cce4long/protocol/transparency/log-entry";
import type { Hex } from "viem";
import { signMessage } from "viem/accounts";
import { createDevQuoteVerifier } from "../attestation/insecure/dev-quote-verifier";
import { InMemoryNonceStore } from "../credentials/nonce-store";
import { createPrivacyPlaneApp } from "../http/app";
import { keyReleaseRoutes } from "../http/key-release-routes";
import { createInMemorySpecSource } from "../jobs/spec-source";
import { storeProofSource } from "../transparency/log-sources";
import type { LowerLayerSource } from "./lower-layer-source";
import type { KeyReleaseHooks } from "./release-key";
import { fakeChain, TEST_DOMAIN, testCredential, testIssuer, testJob } from "./test-support";

export const FIXTURE_SPEC = {
  apiVersion: "cce4long.dev/job/v1",
  name: "aggregate",
  image: { digest: `sha256:${"55".repeat(32)}` },
  command: ["/usr/bin/python3", "main.py"],
  outputs: [{ kind: "free_text", path: "out.txt", description: "x", format: "txt" }],
};

/** The fixture's version manifest: one data file of `datasetId`, sealed under key version 1. */
export function fixtureManifest(datasetId: string) {
  return buildManifest({
    format: DATASET_MANIFEST_FORMAT,
    datasetId,
    uploadId: "0".repeat(32),
    createdAt: "2026-01-01T00:00:00.000Z",
    entries: [
      {
        kind: "data",
        path: "cohort.csv",
        objectKey: `${datasetId}/uploads/${"0".repeat(32)}/files/0.c4le`,
        fileId: "ab".repeat(16),
        keyVersion: 1,
        chunkSize: 65_536,
        plaintextBytes: 10,
        ciphertextBytes: 300,
        ciphertextSha256: "cd".repeat(32),
        rows: 1,
      },
    ],
  });
}

export function keyReleaseFixture(
  options: {
    log?: (event: string, fields: Record<string, unknown>) => void;
    /** Replaces the fixture's manifest source (e.g. one that fails). */
    lowerLayer?: LowerLayerSource;
  } = {},
) {
  const issuer = testIssuer();
  const datasetKeyBytes = randomBytes(32);
  const chain = fakeChain([]);
  const hookCalls: { kind: string; jobId: Hex; value?: unknown }[] = [];
  const hooks: KeyReleaseHooks = {
    whenDispatched: async () => {},
    keyReleased: (jobId, release) =>
      hookCalls.push({ kind: "released", jobId, value: release.measurementId }),
    refusedAfterAttestation: (jobId, reason) => hookCalls.push({ kind: "refused", jobId, value: reason }),
  };
  const gatePublicKey = randomBytes(32);
  /** Every URL lifetime asked for, to check it follows the job's timeout. */
  const urlTtls: number[] = [];
  const lowerLayer: LowerLayerSource = {
    manifestFor: async (datasetId) => fixtureManifest(datasetId),
    readUrls: async (manifest, ttlSeconds) => {
      urlTtls.push(ttlSeconds);
      return manifest.entries.map((entry) => ({
        path: entry.path,
        url: `http://objects.test/${entry.objectKey}?X-Amz-Expires=${ttlSeconds}`,
      }));
    },
  };
  // A real transparency log in memory; its "committed" head is simply its current head here.
  const logStore = memoryLogStore();
  const transparency = {
    head: { committedHead: async () => (await TransparencyLog.open(logStore)).head() },
    log: storeProofSource(logStore),
  };
  /** Logs a development VM measurement, as the local platform does for its insecure attester. */
  async function logMeasurement(measurementId: Hex): Promise<void> {
    const log = await TransparencyLog.open(logStore);
    await log.append({
      apiVersion: TRANSPARENCY_ENTRY_API_VERSION,
      kind: "vm-measurement",
      loggedAt: "2026-01-01T00:00:00Z",
      measurementId,
      origin: "development",
    });
  }
  const app = createPrivacyPlaneApp({
    deployment: "development",
    guestAgentReachable: async () => true,
    log: options.log ?? (() => {}),
    routes: [
      keyReleaseRoutes({
        deployment: "development",
        credentialDomain: TEST_DOMAIN,
        credentialIssuer: issuer.address,
        signResponse: (digest) => signMessage({ message: { raw: digest }, privateKey: issuer.privateKey }),
        nonces: new InMemoryNonceStore(),
        verifier: createDevQuoteVerifier({ deployment: "development" }),
        chain,
        datasetKey: async (datasetId, keyVersion) => {
          if (keyVersion !== 1) throw new Error("unknown version");
          const key = Uint8Array.from(datasetKeyBytes);
          return { datasetId, keyVersion, key, fingerprint: "test", wipe: () => key.fill(0) };
        },
        specs: createInMemorySpecSource([FIXTURE_SPEC]),
        lowerLayer: options.lowerLayer ?? lowerLayer,
        transparency,
        gateOutputKey: async () => ({ publicKey: gatePublicKey, version: 1 }),
        hooks,
        now: () => new Date(),
        log: options.log ?? (() => {}),
      }),
    ],
  });

  /** Puts a fresh dispatched job on the fake chain and mints its credential. */
  async function dispatchedJob() {
    const job = testJob({
      jobId: `0x${randomBytes(32).toString("hex")}`,
      imageDigest: `0x${"55".repeat(32)}`,
      specCommitment: jobSpecCommitment(FIXTURE_SPEC),
    });
    chain.jobs.set(job.jobId, job);
    chain.allowedImages.add(job.imageDigest);
    chain.activeRentals.add(`${job.datasetId}:${job.consumer}`);
    const { credential, claims } = await testCredential(issuer.privateKey, job);
    return { job, credential, claims };
  }

  return {
    app,
    chain,
    issuer,
    datasetKeyBytes,
    hookCalls,
    gatePublicKey,
    dispatchedJob,
    logMeasurement,
    urlTtls,
  };
}
