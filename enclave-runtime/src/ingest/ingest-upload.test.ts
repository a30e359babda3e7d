/**
 * Ingest of a completed upload against an in-memory object store and a fake chain: the committed
 * version, the fingerprints, the permanent failures, and a simulated crash before every single step
 * followed by a retry that must finish with exactly one version. A crash between the manifest and the
 * commit is followed by retries against a tampered staged object or a tampered manifest: neither is
 * committed (the retry redoes the version with a fresh run's checks).
 */
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { UPLOAD_KEYS } from "@cce4long/protocol";
import { buildManifest, verifyManifest } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { decryptBuffer } from "@cce4long/sealing";
import { describe, expect, it } from "vitest";
import { deserializeFingerprintIndex } from "../gate/fingerprints/index";
import { fingerprintBuilder, fingerprintVersionKey } from "./derived";
import { sealEnvelope } from "./envelope";
import { ingestUpload } from "./ingest-upload";
import type { MemoryObjectStore } from "./memory-object-store";
import {
  collect,
  DATASET,
  DATASET_KEY_BYTES,
  INGEST_PUBLIC_KEY,
  one,
  PROVIDER,
  type StagedFile,
  stageUpload,
  testDeps,
} from "./test-support";

const COHORT = new TextEncoder().encode(
  CSV_HEADER + [...cohortRows({ participants: 400, seed: 7n })].map(csvLine).join(""),
);
const BINARY = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff);
const FILES: StagedFile[] = [
  { path: "cohort.csv", plaintext: COHORT },
  { path: "images/scan.bin", plaintext: BINARY },
];

function manifestOf(store: MemoryObjectStore, uploadId: string) {
  const bytes = store.objects.get(`${BUCKETS.datasets}/${UPLOAD_KEYS.uploadManifest(DATASET, uploadId)}`);
  return verifyManifest(JSON.parse(new TextDecoder().decode(bytes)));
}

function statusOf(store: MemoryObjectStore, uploadId: string) {
  const bytes = store.objects.get(`${BUCKETS.datasets}/${UPLOAD_KEYS.status(DATASET, uploadId)}`);
  return bytes === undefined ? undefined : JSON.parse(new TextDecoder().decode(bytes));
}

function decryptedFiles(store: MemoryObjectStore, uploadId: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of manifestOf(store, uploadId).entries) {
    const bytes = store.objects.get(`${BUCKETS.datasets}/${entry.objectKey}`)!;
    out.set(entry.path, decryptBuffer(bytes, DATASET_KEY_BYTES).plaintext);
  }
  return out;
}

describe("ingestUpload", () => {
  it("re-encrypts every file, builds the manifest and fingerprints, commits the root and deletes staging", async () => {
    const { deps, store, chain } = testDeps({}, [fingerprintBuilder]);
    const message = await stageUpload(store, FILES);
    const outcome = await ingestUpload(deps, message);

    const manifest = manifestOf(store, message.uploadId);
    expect(outcome).toEqual({
      kind: "committed",
      version: 1,
      manifestRoot: manifest.root,
      transactionHash: `0x${"cd".repeat(32)}`,
    });
    expect(chain.versions.get(DATASET)).toEqual([manifest.root]);
    expect(manifest.entries.map((e) => [e.kind, e.path, e.rows])).toEqual([
      ["data", "cohort.csv", 400],
      ["data", "images/scan.bin", null],
      ["fingerprints", ".cce4long/fingerprints", null],
    ]);
    const files = decryptedFiles(store, message.uploadId);
    expect(Buffer.from(files.get("cohort.csv")!).equals(Buffer.from(COHORT))).toBe(true);
    expect(Buffer.from(files.get("images/scan.bin")!).equals(Buffer.from(BINARY))).toBe(true);
    const index = deserializeFingerprintIndex(
      files.get(".cce4long/fingerprints")!,
      fingerprintVersionKey(DATASET_KEY_BYTES, DATASET, message.uploadId),
    );
    expect(index.stats.rows).toBe(400);
    // Staging is gone except the session record; the manifest is also addressable by its root.
    expect(store.keys(BUCKETS.staging)).toEqual([
      `${BUCKETS.staging}/${UPLOAD_KEYS.session(message.uploadId)}`,
    ]);
    expect(
      store.objects.has(`${BUCKETS.datasets}/${UPLOAD_KEYS.manifestByRoot(DATASET, manifest.root)}`),
    ).toBe(true);
    expect(statusOf(store, message.uploadId)).toMatchObject({
      state: "committed",
      version: 1,
      manifestRoot: manifest.root,
    });
    expect(store.openMultipartUploads).toBe(0);
  });

  it("leaves no plaintext byte sequence from the upload anywhere in the object store", async () => {
    const { deps, store } = testDeps({}, [fingerprintBuilder]);
    const message = await stageUpload(store, FILES);
    await ingestUpload(deps, message);
    const firstRow = new TextDecoder().decode(COHORT).split("\n")[1]!;
    const needles = [firstRow.split(",")[1]!, firstRow.split(",")[2]!, firstRow.slice(0, 40)].map((s) =>
      Buffer.from(s),
    );
    for (const [key, bytes] of store.objects) {
      for (const needle of needles) expect(Buffer.from(bytes).includes(needle), key).toBe(false);
    }
  });

  it("writes large files in parts with bounded parts in flight", async () => {
    const { deps, store } = testDeps({ write: { partSize: 5 * 1024 * 1024, maxInFlight: 2 } });
    const big = Uint8Array.from({ length: 12 * 1024 * 1024 + 5 }, (_, i) => i % 251);
    const message = await stageUpload(store, [{ path: "big.bin", plaintext: big }]);
    await ingestUpload(deps, message);
    expect(store.operations.filter((op) => op.startsWith("uploadPart")).length).toBe(3);
    expect(
      Buffer.from(decryptedFiles(store, message.uploadId).get("big.bin")!).equals(Buffer.from(big)),
    ).toBe(true);
  });

  it("is idempotent: a duplicate message after the commit changes nothing and commits nothing", async () => {
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    const first = await ingestUpload(deps, message);
    const second = await ingestUpload(deps, message);
    expect(chain.commits).toBe(1);
    expect(second).toMatchObject({
      kind: "committed",
      version: 1,
      manifestRoot: (first as { manifestRoot: string }).manifestRoot,
    });
  });

  it("survives a crash before each object-store step: the retry ends with exactly one version", async () => {
    // Count the steps of a clean run, then crash at each of them in turn.
    const clean = testDeps({}, [fingerprintBuilder]);
    const cleanMessage = await stageUpload(clean.store, FILES, { uploadId: "a".repeat(32) });
    const staged = clean.store.operations.length;
    await ingestUpload(clean.deps, cleanMessage);
    const steps = clean.store.operations.length - staged;
    expect(steps).toBeGreaterThan(10);
    for (let crashAt = 0; crashAt < steps; crashAt++) {
      const { deps, store, chain } = testDeps({}, [fingerprintBuilder]);
      const message = await stageUpload(store, FILES, { uploadId: "a".repeat(32) });
      const before = store.operations.length;
      store.failOn = () => store.operations.length - before === crashAt + 1;
      await expect(ingestUpload(deps, message), `crash at step ${crashAt}`).rejects.toMatchObject({
        code: "OBJECT_STORE_FAILED",
      });
      expect(
        chain.commits,
        `no version is visible after a crash at step ${crashAt} unless committed`,
      ).toBeLessThanOrEqual(1);
      store.failOn = undefined;
      const outcome = await ingestUpload(deps, message);
      expect(outcome.kind, `retry after a crash at step ${crashAt}`).toBe("committed");
      expect(chain.commits).toBe(1);
      const manifest = manifestOf(store, message.uploadId);
      expect(chain.versions.get(DATASET)).toEqual([manifest.root]);
      expect(
        Buffer.from(decryptedFiles(store, message.uploadId).get("cohort.csv")!).equals(Buffer.from(COHORT)),
      ).toBe(true);
      expect(store.keys(BUCKETS.staging)).toHaveLength(1);
    }
  });

  describe("a crash after the manifest was written, before the commit", () => {
    /** Ingests until the commit, which "crashes"; returns the harness with the crashed run's manifest. */
    async function crashBeforeCommit() {
      const harness = testDeps({}, [fingerprintBuilder]);
      const message = await stageUpload(harness.store, FILES);
      const commit = harness.chain.commitVersion.bind(harness.chain);
      harness.chain.commitVersion = async () => {
        throw new Error("the process died before the commit");
      };
      await expect(ingestUpload(harness.deps, message)).rejects.toThrow(/died before the commit/);
      harness.chain.commitVersion = commit;
      expect(harness.chain.commits).toBe(0);
      const crashed = manifestOf(harness.store, message.uploadId);
      return { ...harness, message, crashed };
    }

    const pointerKey = (uploadId: string) =>
      `${BUCKETS.datasets}/${UPLOAD_KEYS.uploadManifest(DATASET, uploadId)}`;

    it("refuses the retry when a staged object was swapped after the crash, and commits nothing", async () => {
      const { deps, store, chain, message } = await crashBeforeCommit();
      // A valid envelope of other content for the same dataset, session and path: only the signed
      // digest tells it apart, so only a retry that re-reads staging refuses it.
      const other = new TextEncoder().encode("not the cohort\n");
      const swapped = await collect(
        sealEnvelope(one(other), {
          datasetId: DATASET,
          uploadId: message.uploadId,
          path: "images/scan.bin",
          ingestPublicKey: INGEST_PUBLIC_KEY,
          ingestKeyVersion: 1,
          plaintextLength: other.length,
        }),
      );
      await store.put(BUCKETS.staging, UPLOAD_KEYS.staged(DATASET, message.uploadId, 1), swapped);
      const outcome = await ingestUpload(deps, message);
      expect(outcome).toMatchObject({ kind: "failed", code: "UPLOAD_SIGNATURE_INVALID" });
      expect(chain.commits).toBe(0);
      expect(statusOf(store, message.uploadId)).toMatchObject({ state: "failed" });
      // The crashed run's pointer is gone: nothing claims a complete version for this upload.
      expect(store.objects.has(pointerKey(message.uploadId))).toBe(false);
      // A duplicate message later is refused the same way.
      expect(await ingestUpload(deps, message)).toMatchObject({ kind: "failed" });
      expect(chain.commits).toBe(0);
    });

    it("refuses a bit flipped in a staged envelope after the crash", async () => {
      const { deps, store, chain, message } = await crashBeforeCommit();
      store.objects.get(`${BUCKETS.staging}/${UPLOAD_KEYS.staged(DATASET, message.uploadId, 0)}`)![700]! ^= 1;
      expect(await ingestUpload(deps, message)).toMatchObject({
        kind: "failed",
        code: "UPLOAD_ENVELOPE_INVALID",
      });
      expect(chain.commits).toBe(0);
    });

    it("never commits a tampered manifest: the retry redoes the version from the staged bytes", async () => {
      const { deps, store, chain, message, crashed } = await crashBeforeCommit();
      // Whoever holds the bucket drops the binary file from the manifest (a consistent root: the
      // manifest is not signed) and points the CSV entry at the binary file's object.
      const binary = crashed.entries.find((e) => e.path === "images/scan.bin")!;
      const tampered = buildManifest({
        format: crashed.format,
        datasetId: crashed.datasetId,
        uploadId: crashed.uploadId,
        createdAt: crashed.createdAt,
        entries: crashed.entries
          .filter((e) => e !== binary)
          .map((e) => (e.path === "cohort.csv" ? { ...binary, path: "cohort.csv" } : e)),
      });
      store.objects.set(pointerKey(message.uploadId), new TextEncoder().encode(JSON.stringify(tampered)));
      const outcome = await ingestUpload(deps, message);
      expect(outcome).toMatchObject({ kind: "committed", version: 1 });
      expect(chain.commits).toBe(1);
      const committed = manifestOf(store, message.uploadId);
      expect(chain.versions.get(DATASET)).toEqual([committed.root]);
      expect(committed.root).not.toBe(tampered.root);
      expect(committed.root).not.toBe(crashed.root); // redone: fresh file ids
      expect(committed.entries.map((e) => e.path)).toEqual([
        "cohort.csv",
        "images/scan.bin",
        ".cce4long/fingerprints",
      ]);
      const files = decryptedFiles(store, message.uploadId);
      expect(Buffer.from(files.get("cohort.csv")!).equals(Buffer.from(COHORT))).toBe(true);
      expect(Buffer.from(files.get("images/scan.bin")!).equals(Buffer.from(BINARY))).toBe(true);
    });

    it("does not take another upload's committed manifest, planted in the pointer, for this one's", async () => {
      const { deps, store, chain, message } = await crashBeforeCommit();
      const earlier = await stageUpload(store, FILES);
      expect(await ingestUpload(deps, earlier)).toMatchObject({ kind: "committed", version: 1 });
      store.objects.set(pointerKey(message.uploadId), store.objects.get(pointerKey(earlier.uploadId))!);
      expect(await ingestUpload(deps, message)).toMatchObject({ kind: "committed", version: 2 });
      expect(chain.commits).toBe(2);
      expect(manifestOf(store, message.uploadId).uploadId).toBe(message.uploadId);
    });

    it("an untouched retry commits exactly one version", async () => {
      const { deps, store, chain, message } = await crashBeforeCommit();
      expect(await ingestUpload(deps, message)).toMatchObject({ kind: "committed", version: 1 });
      expect(chain.commits).toBe(1);
      expect(chain.versions.get(DATASET)).toEqual([manifestOf(store, message.uploadId).root]);
      expect(store.keys(BUCKETS.staging)).toHaveLength(1);
    });
  });

  it("does not commit twice when the commit transaction was mined but its answer was lost", async () => {
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    chain.loseNextCommitAnswer = true;
    await expect(ingestUpload(deps, message)).rejects.toThrow(/connection reset/);
    expect(chain.commits).toBe(1);
    const outcome = await ingestUpload(deps, message);
    expect(outcome).toMatchObject({ kind: "committed", version: 1 });
    expect(chain.commits).toBe(1);
    expect(store.keys(BUCKETS.staging)).toHaveLength(1);
  });

  it("retries (throws) while the chain is unreachable, and commits once it is back", async () => {
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    chain.down = true;
    await expect(ingestUpload(deps, message)).rejects.toThrow(/chain down/);
    chain.down = false;
    expect(await ingestUpload(deps, message)).toMatchObject({ kind: "committed", version: 1 });
  });

  it("fails permanently, records why and commits nothing for a tampered envelope", async () => {
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    const key = `${BUCKETS.staging}/${UPLOAD_KEYS.staged(DATASET, message.uploadId, 1)}`;
    store.objects.get(key)![500]! ^= 1;
    const outcome = await ingestUpload(deps, message);
    expect(outcome).toMatchObject({ kind: "failed", code: "UPLOAD_ENVELOPE_INVALID" });
    expect(chain.commits).toBe(0);
    expect(statusOf(store, message.uploadId)).toMatchObject({
      state: "failed",
      error: { code: "UPLOAD_ENVELOPE_INVALID" },
    });
    expect(
      store.objects.has(`${BUCKETS.datasets}/${UPLOAD_KEYS.uploadManifest(DATASET, message.uploadId)}`),
    ).toBe(false);
  });

  it("refuses uploads the chain does not back: unknown, retired, or another provider's dataset", async () => {
    const cases: [string, (chain: ReturnType<typeof testDeps>["chain"]) => void][] = [
      ["not registered", (chain) => chain.datasets.clear()],
      [
        "retired",
        (chain) =>
          chain.datasets.set(DATASET, {
            provider: PROVIDER,
            retired: true,
          }),
      ],
      [
        "not the dataset's provider",
        (chain) => chain.datasets.set(DATASET, { provider: `0x${"99".repeat(20)}`, retired: false }),
      ],
    ];
    for (const [reason, arrange] of cases) {
      const { deps, store, chain } = testDeps();
      arrange(chain);
      const message = await stageUpload(store, FILES);
      const outcome = await ingestUpload(deps, message);
      expect(outcome, reason).toMatchObject({ kind: "failed", code: "UPLOAD_STATE_INVALID" });
      expect((outcome as { message: string }).message).toContain(reason);
      expect(chain.commits).toBe(0);
    }
  });

  it("refuses a session that was not completed, a message that does not match it, and a missing file", async () => {
    const a = testDeps();
    const open = await stageUpload(a.store, FILES, { completed: false });
    expect(await ingestUpload(a.deps, open)).toMatchObject({
      kind: "failed",
      message: expect.stringMatching(/not completed/),
    });
    const b = testDeps();
    const staged = await stageUpload(b.store, FILES);
    expect(await ingestUpload(b.deps, { ...staged, provider: `0x${"77".repeat(20)}` })).toMatchObject({
      kind: "failed",
      message: expect.stringMatching(/does not match/),
    });
    expect(await ingestUpload(b.deps, { ...staged, uploadId: "e".repeat(32) })).toMatchObject({
      kind: "failed",
      message: expect.stringMatching(/no upload session/),
    });
    await b.store.delete(BUCKETS.staging, UPLOAD_KEYS.staged(DATASET, staged.uploadId, 0));
    expect(await ingestUpload(b.deps, staged)).toMatchObject({
      kind: "failed",
      message: expect.stringMatching(/never uploaded/),
    });
    expect(b.chain.commits).toBe(0);
  });
});
