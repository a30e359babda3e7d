/**
 * The upload authorization's EIP-712 statement on its own (runs in Node under vitest): a signature
 * checks out for exactly the session, files and domain it was made for, duplicate or missing file
 * indexes never form a message, and expiry is enforced unless the caller says the statement was
 * already checked in full.
 */
import { type Hex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  checkUploadAuthorization,
  UPLOAD_AUTHORIZATION_TYPES,
  type UploadAuthorization,
  uploadAuthorizationDomain,
  uploadAuthorizationMessage,
} from "./upload-authorization";

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
