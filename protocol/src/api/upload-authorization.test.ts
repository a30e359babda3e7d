/**
 * The upload authorization's EIP-712 statement on its own (runs in Node under vitest): a signature
 * checks out for exactly the session, files and domain it was made for, duplicate or missing file
 * indexes never form a message, expiry is enforced unless the caller says the statement was already
 * checked in full, and a retired version-1 statement is refused with a reason that names it.
 */

import { type Hex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  checkUploadAuthorization,
  UPLOAD_AUTHORIZATION_TYPES,
  UPLOAD_AUTHORIZATION_VERSION,
  type UploadAuthorization,
  uploadAuthorizationDomain,
  uploadAuthorizationMessage,
} from "./upload-authorization";
import { UPLOAD_AUTHORIZATION_V1_TYPES } from "./upload-authorization-v1";

const provider = privateKeyToAccount(`0x${"3d".repeat(32)}`);
const HUB: Hex = `0x${"4b".repeat(20)}`;
const session = {
  datasetId: `0x${"ab".repeat(32)}`,
  uploadId: "0123456789abcdef0123456789abcdef",
  files: [
    { index: 1, path: "b.bin", size: 500 },
    { index: 0, path: "a.csv", size: 300 },
  ],
};
const hashes = [
  { index: 0, sha256: "aa".repeat(32) },
  { index: 1, sha256: "bb".repeat(32) },
];

async function sign(chainId = 31337, expiresAt = 2_000): Promise<UploadAuthorization> {
  const signature = await provider.signTypedData({
    domain: uploadAuthorizationDomain(chainId, HUB),
    types: UPLOAD_AUTHORIZATION_TYPES,
    primaryType: "UploadAuthorization",
    message: uploadAuthorizationMessage(session, { files: hashes, expiresAt })!,
  });
  return { version: UPLOAD_AUTHORIZATION_VERSION, files: hashes, expiresAt, signature };
}

/** Version 1 as its clients signed it: whole-envelope SHA-256, no version, in its own types. */
async function signVersion1(): Promise<UploadAuthorization> {
  const expiresAt = 2_000;
  const signature = await provider.signTypedData({
    domain: uploadAuthorizationDomain(31337, HUB),
    types: UPLOAD_AUTHORIZATION_V1_TYPES,
    primaryType: "UploadAuthorization",
    message: {
      datasetId: session.datasetId as Hex,
      uploadId: `0x${session.uploadId}`,
      files: [
        { index: 0, path: "a.csv", size: 300n, sha256: `0x${hashes[0]!.sha256}` },
        { index: 1, path: "b.bin", size: 500n, sha256: `0x${hashes[1]!.sha256}` },
      ],
      expiresAt: BigInt(expiresAt),
    },
  });
  return { files: hashes, expiresAt, signature };
}

const expected = { provider: provider.address, chainId: 31337, hub: HUB, nowSeconds: 1_000 };

describe("upload authorization", () => {
  it("orders the files by index and accepts the provider's signature", async () => {
    const message = uploadAuthorizationMessage(session, { files: hashes, expiresAt: 2_000 })!;
    expect(message.files.map((f) => f.path)).toEqual(["a.csv", "b.bin"]);
    expect(message.uploadId).toBe(`0x${session.uploadId}`);
    const check = await checkUploadAuthorization(session, await sign(), expected);
    expect(check).toEqual({
      ok: true,
      files: [
        { index: 0, path: "a.csv", size: 300, sha256: "aa".repeat(32) },
        { index: 1, path: "b.bin", size: 500, sha256: "bb".repeat(32) },
      ],
    });
  });

  it("refuses another chain, another signer, and hashes that do not name the session's files", async () => {
    expect(await checkUploadAuthorization(session, await sign(1), expected)).toMatchObject({ ok: false });
    expect(
      await checkUploadAuthorization(session, await sign(), { ...expected, provider: zeroAddress }),
    ).toMatchObject({ ok: false });
    const duplicate = { ...(await sign()), files: [hashes[0]!, { ...hashes[0]! }] };
    expect(await checkUploadAuthorization(session, duplicate, expected)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/do not name exactly/),
    });
    expect(uploadAuthorizationMessage(session, { files: [hashes[0]!], expiresAt: 1 })).toBeNull();
  });

  it("refuses a version-1 statement with a reason that names it, also when relabelled version 2", async () => {
    const old = await signVersion1();
    const check = await checkUploadAuthorization(session, old, expected);
    expect(check).toMatchObject({ ok: false, reason: expect.stringMatching(/retired version 1/) });
    // Claiming the current version does not help: the signed types differ, so the signer does not recover.
    expect(
      await checkUploadAuthorization(session, { ...old, version: UPLOAD_AUTHORIZATION_VERSION }, expected),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not signed by the dataset's current provider/),
    });
    expect(
      await checkUploadAuthorization(session, { ...(await sign()), version: 3 }, expected),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/version 3/) });
  });

  it("signs the version: a current signature relabelled version 1 is refused", async () => {
    const { version: _, ...unversioned } = await sign();
    expect(await checkUploadAuthorization(session, unversioned, expected)).toMatchObject({ ok: false });
  });

  it("enforces expiry unless the statement was already checked in full", async () => {
    const authorization = await sign(31337, 1_000);
    expect(await checkUploadAuthorization(session, authorization, expected)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
    expect(
      await checkUploadAuthorization(session, authorization, { ...expected, nowSeconds: null }),
    ).toMatchObject({ ok: true });
  });

  it("refuses a statement that expires more than 24 h ahead, wherever it is checked", async () => {
    const ahead = await sign(31337, 1_000 + 24 * 3600 + 1);
    expect(await checkUploadAuthorization(session, ahead, expected)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/too far ahead/),
    });
    const justInside = await sign(31337, 1_000 + 24 * 3600);
    expect(await checkUploadAuthorization(session, justInside, expected)).toMatchObject({ ok: true });
  });
});
