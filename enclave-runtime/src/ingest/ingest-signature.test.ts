/**
 * The provider's signature over an upload session, as ingest checks it (in-memory store, fake chain,
 * real EIP-712 signatures): each way a statement can fail to cover what was staged is refused with
 * UPLOAD_SIGNATURE_INVALID, recorded as a failed ingest, and commits and publishes nothing. That
 * includes a wrong segmented digest (other segment size, segments reordered, a plain SHA-256) and a
 * retired version-1 statement.
 */

import { createHash } from "node:crypto";
import { signUploadAuthorization } from "@cce4long/cli/sdk/upload-authorization";
import {
  segmentedSha256,
  UPLOAD_HASH_SEGMENT_BYTES,
  UPLOAD_KEYS,
  type UploadSessionRecord,
  uploadAuthorizationDomain,
} from "@cce4long/protocol";
import { UPLOAD_AUTHORIZATION_V1_TYPES } from "@cce4long/protocol/api/upload-authorization-v1";
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
  PROVIDER_ACCOUNT,
  SIGNATURE_DOMAIN,
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

/** Two files, the second over two 8 MiB hash segments. */
const LARGE_FILES: StagedFile[] = [
  FILES[0]!,
  { path: "b/scan.bin", plaintext: Uint8Array.from({ length: 9 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff) },
];

type Staging = Parameters<typeof stageUpload>[2];

/** Stages `files` (FILES by default) with `options`, ingests, and checks that the refusal left nothing behind. */
async function expectRefused(
  options: Staging,
  reason: RegExp,
  arrange?: (h: ReturnType<typeof testDeps>, uploadId: string) => Promise<void>,
  files: StagedFile[] = FILES,
) {
  const harness = testDeps();
  const { deps, store, chain } = harness;
  const message = await stageUpload(store, files, options);
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
  expect(store.keys(BUCKETS.staging).length).toBe(files.length + 1);
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

  it("commits a file over several hash segments, and refuses a wrong segmented digest of it", async () => {
    const { deps, store } = testDeps();
    expect(await ingestUpload(deps, await stageUpload(store, LARGE_FILES))).toMatchObject({
      kind: "committed",
    });
    const wrongDigest = async (compute: (bytes: Uint8Array) => Promise<string> | string) => {
      await expectRefused(
        {},
        /file 1 \(b\/scan.bin\): the staged object is not the one the provider signed/,
        async ({ store: s }, uploadId) => {
          // The provider signs a wrong digest of the very bytes staged.
          const bytes = s.objects.get(`${BUCKETS.staging}/${UPLOAD_KEYS.staged(DATASET, uploadId, 1)}`)!;
          expect(bytes.length).toBeGreaterThan(UPLOAD_HASH_SEGMENT_BYTES);
          await resign(s, uploadId, { 1: await compute(bytes) });
        },
        LARGE_FILES,
      );
    };
    // The plain SHA-256 (what a version-1 client signed), 4 MiB segments, the segment digests swapped.
    await wrongDigest((bytes) => createHash("sha256").update(bytes).digest("hex"));
    await wrongDigest((bytes) => segmentedSha256(bytes, UPLOAD_HASH_SEGMENT_BYTES / 2));
    await wrongDigest((bytes) => {
      const first = createHash("sha256").update(bytes.subarray(0, UPLOAD_HASH_SEGMENT_BYTES)).digest();
      const second = createHash("sha256").update(bytes.subarray(UPLOAD_HASH_SEGMENT_BYTES)).digest();
      return createHash("sha256").update(second).update(first).digest("hex");
    });
  });

  it("refuses a version-1 statement (whole-envelope SHA-256) with a reason that names it", async () => {
    await expectRefused({}, /retired version 1/, async ({ store }, uploadId) => {
      const session = readSession(store, uploadId);
      const files = session.files.map((f) => {
        const bytes = store.objects.get(`${BUCKETS.staging}/${f.objectKey}`)!;
        return { ...f, sha256: createHash("sha256").update(bytes).digest("hex") };
      });
      const expiresAt = NOW_SECONDS + 3600;
      const signature = await PROVIDER_ACCOUNT.signTypedData({
        domain: uploadAuthorizationDomain(SIGNATURE_DOMAIN.chainId, SIGNATURE_DOMAIN.hub),
        types: UPLOAD_AUTHORIZATION_V1_TYPES,
        primaryType: "UploadAuthorization",
        message: {
          datasetId: DATASET as `0x${string}`,
          uploadId: `0x${uploadId}`,
          files: files.map((f) => ({
            index: f.index,
            path: f.path,
            size: BigInt(f.size),
            sha256: `0x${f.sha256}` as `0x${string}`,
          })),
          expiresAt: BigInt(expiresAt),
        },
      });
      // As a version-1 client stored it: no version field.
      session.authorization = {
        files: files.map((f) => ({ index: f.index, sha256: f.sha256 })),
        expiresAt,
        signature,
      };
      writeSession(store, session);
    });
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

type Store = ReturnType<typeof testDeps>["store"];

function readSession(store: Store, uploadId: string): UploadSessionRecord {
  const bytes = store.objects.get(`${BUCKETS.staging}/${UPLOAD_KEYS.session(uploadId)}`)!;
  return JSON.parse(new TextDecoder().decode(bytes)) as UploadSessionRecord;
}

function writeSession(store: Store, session: UploadSessionRecord): void {
  store.objects.set(
    `${BUCKETS.staging}/${UPLOAD_KEYS.session(session.uploadId)}`,
    new TextEncoder().encode(JSON.stringify(session)),
  );
}

/** Signs the session again (current version, the provider's key) with some files' hashes replaced. */
async function resign(store: Store, uploadId: string, hashes: Record<number, string>): Promise<void> {
  const session = readSession(store, uploadId);
  const files = await Promise.all(
    session.files.map(async (f) => ({
      index: f.index,
      path: f.path,
      size: f.size,
      sha256:
        hashes[f.index] ?? (await segmentedSha256(store.objects.get(`${BUCKETS.staging}/${f.objectKey}`)!)),
    })),
  );
  session.authorization = await signUploadAuthorization(PROVIDER_ACCOUNT, {
    ...SIGNATURE_DOMAIN,
    datasetId: DATASET,
    uploadId,
    files,
    expiresAt: NOW_SECONDS + 3600,
  });
  writeSession(store, session);
}
