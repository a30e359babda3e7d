/**
 * Key release end to end over HTTP (in-process app, fakes for chain and keys): a bound quote from the
 * job's attested VM gets the dataset key, unwrappable only with its ephemeral key, in a response signed
 * by the credential's issuer; every refusal is a stable code with a generic message, and replays,
 * borrowed quotes and disallowed measurements get nothing (runs in Node).
 */
import { JobStatus } from "@cce4long/protocol";
import { measurementId } from "@cce4long/protocol/attestation/measurement-id";
import { canonicalJson } from "@cce4long/protocol/jobs/canonical-json";
import { generateEphemeralKeyPair, unwrapDatasetKey } from "@cce4long/sealing/ecdhe-wrap";
import { keccak256, stringToBytes } from "viem";
import { signMessage } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { requestDatasetKeys } from "../../../cvm-image/src/agent/key-request";
import { fixtureManifest, keyReleaseFixture } from "./in-process-fixture";
import { LOWER_LAYER_URL_MARGIN_SECONDS, type LowerLayerSource } from "./lower-layer-source";
import { devEvidence, hex48, keyReleaseReportData } from "./test-support";

const DEV_MEASUREMENT = measurementId({
  mrtd: Buffer.from(hex48("a"), "hex"),
  rtmr0: Buffer.from(hex48("b"), "hex"),
  rtmr1: Buffer.from(hex48("c"), "hex"),
  rtmr2: Buffer.from(hex48("d"), "hex"),
});

async function setUp(options: { logged?: boolean; lowerLayer?: LowerLayerSource } = {}) {
  const fixture = keyReleaseFixture({ lowerLayer: options.lowerLayer });
  fixture.chain.allowedMeasurements.add(DEV_MEASUREMENT);
  if (options.logged !== false) await fixture.logMeasurement(DEV_MEASUREMENT);
  const job = await fixture.dispatchedJob();
  const ephemeral = generateEphemeralKeyPair();
  const nonce = Buffer.from(job.claims.nonce.slice(2), "hex");
  const body = (overrides: Record<string, unknown> = {}) => ({
    credential: job.credential,
    evidence: Buffer.from(devEvidence(keyReleaseReportData(ephemeral.publicKey, nonce))).toString("base64"),
    ephemeralPublicKey: `0x${Buffer.from(ephemeral.publicKey).toString("hex")}`,
    ...overrides,
  });
  const post = (json: unknown) =>
    fixture.app.request("/v1/key-release", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
    });
  return { ...fixture, job, ephemeral, nonce, body, post };
}

describe("POST /v1/key-release", () => {
  it("releases the dataset key to the job's attested VM and records it with the measurement", async () => {
    const t = await setUp();
    const res = await t.post(t.body());
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      wrappedKeys: { keyVersion: number; wrappedKey: string }[];
      outputsToken: string;
    };
    const key = unwrapDatasetKey({
      wrapped: Buffer.from(json.wrappedKeys[0]!.wrappedKey, "base64"),
      recipientPrivateKey: t.ephemeral.privateKey,
      context: {
        jobId: t.job.job.jobId,
        credentialNonce: t.nonce,
        datasetId: t.job.job.datasetId,
        keyVersion: 1,
      },
    });
    expect(Buffer.from(key)).toEqual(t.datasetKeyBytes);
    expect(t.chain.records).toEqual([
      { kind: "keyReleased", jobId: t.job.job.jobId, value: DEV_MEASUREMENT },
    ]);
    expect(t.chain.jobs.get(t.job.job.jobId)!.status).toBe(JobStatus.KeyReleased);
    expect(json.outputsToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("wraps the keys the version manifest names and hands over its read URLs, valid for the job's run", async () => {
    const t = await setUp();
    const json = (await (await t.post(t.body())).json()) as {
      wrappedKeys: { keyVersion: number }[];
      lowerLayer: { manifest: unknown; objects: { path: string; url: string }[]; expiresAt: string };
    };
    expect(json.wrappedKeys.map((k) => k.keyVersion)).toEqual([1]);
    expect(json.lowerLayer.manifest).toEqual(fixtureManifest(t.job.job.datasetId));
    expect(json.lowerLayer.objects.map((o) => o.path)).toEqual(["cohort.csv"]);
    // The fixture's spec has the default timeout (1800 s); the URLs also cover set-up.
    expect(t.urlTtls).toEqual([1800 + LOWER_LAYER_URL_MARGIN_SECONDS]);
    const expiresIn = Date.parse(json.lowerLayer.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan((1800 + LOWER_LAYER_URL_MARGIN_SECONDS - 60) * 1000);
    expect(expiresIn).toBeLessThanOrEqual((1800 + LOWER_LAYER_URL_MARGIN_SECONDS) * 1000);
  });

  it("error: no verified version manifest for the credential's root: no key, nothing recorded, the job fails", async () => {
    const t = await setUp({
      lowerLayer: {
        manifestFor: async () => {
          throw new Error("manifest missing");
        },
        readUrls: async () => {
          throw new Error("must not be reached");
        },
      },
    });
    const res = await t.post(t.body());
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "KEY_RELEASE_DENIED", detail: "Key release denied" });
    expect(t.chain.records).toEqual([]);
    expect(t.hookCalls).toEqual([
      { kind: "refused", jobId: t.job.job.jobId, value: "DATASET_VERSION_UNAVAILABLE" },
    ]);
  });

  it("error: URLs that cannot be made (an object outside the dataset) are refused before anything is recorded", async () => {
    const t = await setUp({
      lowerLayer: {
        manifestFor: async () => fixtureManifest(t.job.job.datasetId),
        readUrls: async () => {
          throw new Error("A manifest entry names an object outside its dataset");
        },
      },
    });
    const res = await t.post(t.body());
    expect(res.status).toBe(403);
    // Nothing on-chain: the job is still Dispatched, and its failure is signalled for a clean end.
    expect(t.chain.records).toEqual([]);
    expect(t.hookCalls).toEqual([
      { kind: "refused", jobId: t.job.job.jobId, value: "DATASET_VERSION_UNAVAILABLE" },
    ]);
  });

  it("gives the boot agent's key request a key it checks against the credential's issuer", async () => {
    const t = await setUp();
    const released = await requestDatasetKeys({
      privacyPlaneUrl: "http://privacy-plane.test",
      credential: t.job.credential,
      jobId: t.job.job.jobId,
      datasetId: t.job.job.datasetId,
      ephemeral: t.ephemeral,
      attester: { attest: async (reportData) => ({ kind: "insecure-dev", bytes: devEvidence(reportData) }) },
      fetchImpl: (async (url: URL, init: RequestInit) => t.app.request(url.pathname, init)) as typeof fetch,
    });
    expect(Buffer.from(released.keys.get(1)!)).toEqual(t.datasetKeyBytes);
    expect(released.spec.name).toBe("aggregate");
    expect(Buffer.from(released.gateOutputPublicKey)).toEqual(t.gatePublicKey);
    expect(released.manifestRoot).toBe(t.job.claims.manifestRoot.toLowerCase());
    expect(released.datasetVersion).toBe(t.job.claims.datasetVersion);
    expect(released.objects.map((o) => o.path)).toEqual(["cohort.csv"]);
    expect(released.manifest).toEqual(fixtureManifest(t.job.job.datasetId));
  });

  it("error: the boot agent refuses a response, even one signed by the issuer, for another dataset version", async () => {
    // The issuer re-signs the real response after `edit`: only the version check can refuse it.
    const request = async (edit: (body: Record<string, unknown>) => void) => {
      const t = await setUp();
      const fetchImpl = (async (url: URL, init: RequestInit) => {
        const { signature: _, ...body } = (await (await t.app.request(url.pathname, init)).json()) as Record<
          string,
          unknown
        >;
        edit(body);
        const digest = keccak256(stringToBytes(canonicalJson(body)));
        const signature = await signMessage({ message: { raw: digest }, privateKey: t.issuer.privateKey });
        return Response.json({ ...body, signature });
      }) as typeof fetch;
      return requestDatasetKeys({
        privacyPlaneUrl: "http://privacy-plane.test",
        credential: t.job.credential,
        jobId: t.job.job.jobId,
        datasetId: t.job.job.datasetId,
        ephemeral: t.ephemeral,
        attester: {
          attest: async (reportData) => ({ kind: "insecure-dev", bytes: devEvidence(reportData) }),
        },
        fetchImpl,
      });
    };
    await expect(request(() => {})).resolves.toMatchObject({ datasetVersion: expect.any(Number) });
    await expect(
      request((body) => {
        body.manifestRoot = `0x${"77".repeat(32)}`;
      }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
    await expect(
      request((body) => {
        body.datasetVersion = (body.datasetVersion as number) + 1;
      }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("error: the same credential a second time (replay) gets no key", async () => {
    const t = await setUp();
    expect((await t.post(t.body())).status).toBe(200);
    const again = await t.post(t.body());
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ code: "KEY_RELEASE_DENIED", detail: "Key release denied" });
  });

  it("error: a quote bound to another key (a borrowed quote) is refused as ATTESTATION_INVALID", async () => {
    const t = await setUp();
    const other = generateEphemeralKeyPair();
    const res = await t.post(
      t.body({ ephemeralPublicKey: `0x${Buffer.from(other.publicKey).toString("hex")}` }),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "ATTESTATION_INVALID", detail: "Attestation rejected" });
    expect(t.chain.records).toEqual([]);
    expect(t.hookCalls).toEqual([]);
  });

  it("error: a measurement the policy does not allow; the job's failure is signalled", async () => {
    const t = await setUp();
    t.chain.allowedMeasurements.clear();
    const res = await t.post(t.body());
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "KEY_RELEASE_DENIED", detail: "Key release denied" });
    expect(t.hookCalls).toEqual([
      { kind: "refused", jobId: t.job.job.jobId, value: "MEASUREMENT_NOT_ALLOWED" },
    ]);
  });

  it("error: a measurement allowed on-chain but absent from the transparency log gets no key", async () => {
    const t = await setUp({ logged: false });
    const res = await t.post(t.body());
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "KEY_RELEASE_DENIED", detail: "Key release denied" });
    expect(t.chain.records).toEqual([]);
    expect(t.hookCalls).toEqual([
      { kind: "refused", jobId: t.job.job.jobId, value: "MEASUREMENT_NOT_LOGGED" },
    ]);
  });

  it("error: an expired rental, a forged credential, and a malformed body", async () => {
    const t = await setUp();
    t.chain.activeRentals.clear();
    expect(await (await t.post(t.body())).json()).toMatchObject({ code: "KEY_RELEASE_DENIED" });
    const forged = `${t.job.credential.slice(0, -4)}AAAA`;
    expect(await (await t.post(t.body({ credential: forged }))).json()).toMatchObject({
      code: "KEY_RELEASE_DENIED",
    });
    const malformed = await t.post({ credential: "x" });
    expect(malformed.status).toBe(422);
    const notJson = await t.app.request("/v1/key-release", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });
});
