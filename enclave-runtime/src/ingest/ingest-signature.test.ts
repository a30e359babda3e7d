/**
 * The provider's signature over an upload session, as ingest checks it (in-memory store, fake chain,
 * real EIP-712 signatures): each way a statement can fail to cover what was staged is refused with
 * UPLOAD_SIGNATURE_INVALID, recorded as a failed ingest, and commits and publishes nothing.
 */
import { UPLOAD_KEYS } from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { sealEnvelope } from "./envelope";
import { ingestUpload } from "./ingest-upload";
import {
  collect,
  DATASET,
  INGEST_PUBLIC_KEY,
  NOW_SECONDS,
  one,
  type StagedFile,
  stageUpload,
  testDeps,
} from "./test-support";

const FILES: StagedFile[] = [
  { path: "a.csv", plaintext: new TextEncoder().encode("id,value\n1,2\n3,4\n") },
  { path: "b/scan.bin", plaintext: Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff) },
];
const STRANGER = privateKeyToAccount(`0x${"7a".repeat(32)}`);
const OTHER_DATASET = `0x${"cd".repeat(32)}`;

type Staging = Parameters<typeof stageUpload>[2];

/** Stages FILES with `options`, ingests, and checks that the refusal left nothing behind. */
async function expectRefused(
  options: Staging,
  reason: RegExp,
  arrange?: (h: ReturnType<typeof testDeps>, uploadId: string) => Promise<void>,
) {
  const harness = testDeps();
  const { deps, store, chain } = harness;
  const message = await stageUpload(store, FILES, options);
  await arrange?.(harness, message.uploadId);
  const outcome = await ingestUpload(deps, message);
  expect(outcome).toMatchObject({ kind: "failed", code: "UPLOAD_SIGNATURE_INVALID" });
  expect((outcome as { message: string }).message).toMatch(reason);
  expect(chain.commits).toBe(0);
  const status = JSON.parse(
    new TextDecoder().decode(
      store.objects.get(`${BUCKETS.datasets}/${UPLOAD_KEYS.status(DATASET, message.uploadId)}`),
    ),
  );
  expect(status).toMatchObject({ state: "failed", error: { code: "UPLOAD_SIGNATURE_INVALID" } });
  expect(
    store.objects.has(`${BUCKETS.datasets}/${UPLOAD_KEYS.uploadManifest(DATASET, message.uploadId)}`),
  ).toBe(false);
  // The existing failure path keeps staging (the staging sweeper removes it once the session expires).
  expect(store.keys(BUCKETS.staging).length).toBe(FILES.length + 1);
  return harness;
}

describe("ingest checks the provider's upload signature", () => {
  it("commits an upload the on-chain provider signed (the happy path)", async () => {
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    expect(await ingestUpload(deps, message)).toMatchObject({ kind: "committed", version: 1 });
    expect(chain.commits).toBe(1);
  });

  it("refuses a session without a signature", async () => {
    await expectRefused({ signer: null }, /no provider signature/);
  });

  it("refuses a signature by anyone but the dataset's provider on-chain", async () => {
    await expectRefused({ signer: STRANGER }, /not signed by the dataset's current provider/);
  });

  it("refuses a signature made for another dataset", async () => {
    await expectRefused(
      { alterSigned: (s) => ({ ...s, datasetId: OTHER_DATASET }) },
      /not signed by the dataset's current provider/,
    );
  });

  it("refuses a signature made for another session, and a signature replayed from another session", async () => {
    await expectRefused(
      { alterSigned: (s) => ({ ...s, uploadId: "f".repeat(32) }) },
      /not signed by the dataset's current provider/,
    );
    // The same provider, the same files, a real signature: but for session A, stored in session B.
    const { deps, store, chain } = testDeps();
    const a = await stageUpload(store, FILES);
    const b = await stageUpload(store, FILES);
    const key = (id: string) => `${BUCKETS.staging}/${UPLOAD_KEYS.session(id)}`;
    const sessionA = JSON.parse(new TextDecoder().decode(store.objects.get(key(a.uploadId))));
    const sessionB = JSON.parse(new TextDecoder().decode(store.objects.get(key(b.uploadId))));
    sessionB.authorization = sessionA.authorization;
    store.objects.set(key(b.uploadId), new TextEncoder().encode(JSON.stringify(sessionB)));
    expect(await ingestUpload(deps, b)).toMatchObject({ kind: "failed", code: "UPLOAD_SIGNATURE_INVALID" });
    expect(chain.commits).toBe(0);
    // Session A itself still ingests.
    expect(await ingestUpload(deps, a)).toMatchObject({ kind: "committed" });
  });

  it("refuses a file list the provider did not sign: a file missing, renamed, or of another size", async () => {
    await expectRefused(
      { alterSigned: (s) => ({ ...s, files: s.files.slice(0, 1) }) },
      /do not name exactly the session's files/,
    );
    await expectRefused(
      { alterSigned: (s) => ({ ...s, files: s.files.map((f) => ({ ...f, path: `x/${f.path}` })) }) },
      /not signed by the dataset's current provider/,
    );
    await expectRefused(
      { alterSigned: (s) => ({ ...s, files: s.files.map((f) => ({ ...f, size: f.size + 1 })) }) },
      /not signed by the dataset's current provider/,
    );
  });

  it("refuses hashes altered after signing (by the edge) and a signed hash the staged bytes do not have", async () => {
    await expectRefused(
      {
        alterAuthorization: (a) => ({
          ...a,
          files: a.files.map((f) => ({ ...f, sha256: f.index === 1 ? "0".repeat(64) : f.sha256 })),
        }),
      },
      /not signed by the dataset's current provider/,
    );
    await expectRefused(
      {
        alterSigned: (s) => ({
          ...s,
          files: s.files.map((f) => ({ ...f, sha256: f.index === 1 ? "ee".repeat(32) : f.sha256 })),
        }),
      },
      /file 1 \(b\/scan.bin\): the staged object is not the one the provider signed/,
    );
  });

  it("refuses a staged object swapped for another valid envelope after signing", async () => {
    await expectRefused(
      {},
      /file 0 \(a.csv\): the staged object is not the one the provider signed/,
      async ({ store }, uploadId) => {
        // A fresh, perfectly valid envelope of other content for the same dataset, session and path.
        const other = new TextEncoder().encode("id,value\n9,9\n");
        const bytes = await collect(
          sealEnvelope(one(other), {
            datasetId: DATASET,
            uploadId,
            path: "a.csv",
            ingestPublicKey: INGEST_PUBLIC_KEY,
            ingestKeyVersion: 1,
            plaintextLength: other.length,
          }),
        );
        await store.put(BUCKETS.staging, UPLOAD_KEYS.staged(DATASET, uploadId, 0), bytes);
      },
    );
  });

  it("refuses an expired signature, but a duplicate of a committed upload stays committed", async () => {
    await expectRefused({ alterSigned: (s) => ({ ...s, expiresAt: NOW_SECONDS - 1 }) }, /expired/);
    const { deps, store, chain } = testDeps();
    const message = await stageUpload(store, FILES);
    expect(await ingestUpload(deps, message)).toMatchObject({ kind: "committed", version: 1 });
    const later = { ...deps, now: () => new Date((NOW_SECONDS + 7200) * 1000) };
    expect(await ingestUpload(later, message)).toMatchObject({ kind: "committed", version: 1 });
    expect(chain.commits).toBe(1);
  });
});
