/**
 * Ownership, trust policy and the transparency-log anchor on a real anvil (tests only).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture } from "./helpers/hub-fixture";
import { registerDataset } from "./helpers/scenario";

let f: HubFixture;
const GLOBAL = b32("");

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe("ownership", () => {
  it("starts with the deployer as owner and moves only when the proposed owner accepts", async () => {
    expect(await f.read("owner")).toBe(f.address("owner"));
    const started = await f.write("owner", "transferOwnership", [f.address("secondProvider")]);
    expect(only(started.events, "OwnershipTransferStarted").args).toEqual({
      previousOwner: f.address("owner"),
      newOwner: f.address("secondProvider"),
    });
    expect(await f.read("owner")).toBe(f.address("owner"));
    expect(await f.read("pendingOwner")).toBe(f.address("secondProvider"));
    expect(await f.revert("consumer", "acceptOwnership", [])).toEqual({
      errorName: "OwnableUnauthorizedAccount",
      args: [f.address("consumer")],
    });
    const accepted = await f.write("secondProvider", "acceptOwnership", []);
    expect(only(accepted.events, "OwnershipTransferred").args).toEqual({
      previousOwner: f.address("owner"),
      newOwner: f.address("secondProvider"),
    });
    // and back, so the other tests keep account 0 as owner
    await f.write("secondProvider", "transferOwnership", [f.address("owner")]);
    await f.write("owner", "acceptOwnership", []);
    expect(await f.read("owner")).toBe(f.address("owner"));
    expect(await f.read("pendingOwner")).toBe("0x0000000000000000000000000000000000000000");
  });

  it("error: only the owner proposes a transfer or changes the policy", async () => {
    const expected = { errorName: "OwnableUnauthorizedAccount", args: [f.address("consumer")] };
    expect(await f.revert("consumer", "transferOwnership", [f.address("consumer")])).toEqual(expected);
    expect(await f.revert("consumer", "setPrivacyPlaneSigner", [f.address("consumer"), true])).toEqual(
      expected,
    );
    expect(await f.revert("consumer", "setMeasurementAllowed", [GLOBAL, b32("m"), true])).toEqual(expected);
    expect(await f.revert("consumer", "commitTransparencyLogHead", [1n, b32("root")])).toEqual(expected);
  });
});

describe("Privacy Plane signers", () => {
  it("the deployment authorized the local signer", async () => {
    expect(await f.read("isPrivacyPlaneSigner", [f.address("privacyPlaneSigner")])).toBe(true);
    expect(await f.read("isPrivacyPlaneSigner", [f.address("consumer")])).toBe(false);
  });

  it("authorizing and revoking emit events, and a revoked signer can no longer record", async () => {
    const id = await registerDataset(f, "signers");
    const added = await f.write("owner", "setPrivacyPlaneSigner", [f.address("secondConsumer"), true]);
    expect(only(added.events, "PrivacyPlaneSignerAuthorized").args).toEqual({
      signer: f.address("secondConsumer"),
    });
    await f.write("secondConsumer", "commitDatasetVersion", [id, b32("root")]);
    const revoked = await f.write("owner", "setPrivacyPlaneSigner", [f.address("secondConsumer"), false]);
    expect(only(revoked.events, "PrivacyPlaneSignerRevoked").args).toEqual({
      signer: f.address("secondConsumer"),
    });
    expect(await f.revert("secondConsumer", "commitDatasetVersion", [id, b32("root 2")])).toEqual({
      errorName: "PolicyUnauthorizedSigner",
      args: [f.address("secondConsumer")],
    });
  });

  it("error: the zero address cannot be a signer", async () => {
    const zero = "0x0000000000000000000000000000000000000000";
    expect(await f.revert("owner", "setPrivacyPlaneSigner", [zero, true])).toEqual({
      errorName: "PolicyInvalidSigner",
      args: [zero],
    });
  });
});

describe("measurements and image digests", () => {
  it("a global allowance applies to every dataset, a per-dataset one only to its dataset", async () => {
    const a = await registerDataset(f, "scope-a");
    const b = await registerDataset(f, "scope-b");
    const global = await f.write("owner", "setMeasurementAllowed", [GLOBAL, b32("global m"), true]);
    expect(only(global.events, "MeasurementPolicyChanged").args).toEqual({
      datasetId: GLOBAL,
      measurementId: b32("global m"),
      allowed: true,
    });
    await f.write("owner", "setMeasurementAllowed", [a, b32("a only"), true]);
    expect(await f.read("isMeasurementAllowed", [a, b32("global m")])).toBe(true);
    expect(await f.read("isMeasurementAllowed", [b, b32("global m")])).toBe(true);
    expect(await f.read("isMeasurementAllowed", [a, b32("a only")])).toBe(true);
    expect(await f.read("isMeasurementAllowed", [b, b32("a only")])).toBe(false);
    expect(await f.read("isMeasurementAllowed", [GLOBAL, b32("a only")])).toBe(false);
    await f.write("owner", "setMeasurementAllowed", [GLOBAL, b32("global m"), false]);
    expect(await f.read("isMeasurementAllowed", [a, b32("global m")])).toBe(false);
  });

  it("a provider may allow images for its own dataset only; the owner for any scope", async () => {
    const own = await registerDataset(f, "images");
    const { events } = await f.write("provider", "setImageDigestAllowed", [own, b32("img"), true]);
    expect(only(events, "ImageDigestPolicyChanged").args).toEqual({
      datasetId: own,
      imageDigest: b32("img"),
      changedBy: f.address("provider"),
      allowed: true,
    });
    expect(await f.read("isImageDigestAllowed", [own, b32("img")])).toBe(true);
    const notYours = { errorName: "PolicyUnauthorizedAccount", args: [f.address("secondProvider")] };
    expect(await f.revert("secondProvider", "setImageDigestAllowed", [own, b32("img"), true])).toEqual(
      notYours,
    );
    expect(await f.revert("secondProvider", "setImageDigestAllowed", [GLOBAL, b32("img"), true])).toEqual(
      notYours,
    );
    await f.write("owner", "setImageDigestAllowed", [GLOBAL, b32("global img"), true]);
    expect(await f.read("isImageDigestAllowed", [own, b32("global img")])).toBe(true);
  });

  it("error: zero values and unknown datasets are refused", async () => {
    const unknown = b32("unknown");
    expect((await f.revert("owner", "setMeasurementAllowed", [GLOBAL, GLOBAL, true])).errorName).toBe(
      "PolicyZeroValue",
    );
    expect((await f.revert("owner", "setImageDigestAllowed", [GLOBAL, GLOBAL, true])).errorName).toBe(
      "PolicyZeroValue",
    );
    expect(await f.revert("owner", "setMeasurementAllowed", [unknown, b32("m"), true])).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
    expect(await f.revert("owner", "setImageDigestAllowed", [unknown, b32("i"), true])).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
  });
});

describe("transparency log head", () => {
  it("accepts growing heads, refuses a shrinking or forked one", async () => {
    expect(await f.read("transparencyLogHead")).toEqual([0n, GLOBAL]);
    const { events } = await f.write("owner", "commitTransparencyLogHead", [3n, b32("root 3")]);
    expect(only(events, "TransparencyLogHeadCommitted").args).toEqual({
      treeSize: 3n,
      rootHash: b32("root 3"),
    });
    await f.write("owner", "commitTransparencyLogHead", [3n, b32("root 3")]);
    await f.write("owner", "commitTransparencyLogHead", [5n, b32("root 5")]);
    expect(await f.read("transparencyLogHead")).toEqual([5n, b32("root 5")]);
    expect(await f.revert("owner", "commitTransparencyLogHead", [4n, b32("root 4")])).toEqual({
      errorName: "TransparencyLogShrunk",
      args: [5n, 4n],
    });
    expect(await f.revert("owner", "commitTransparencyLogHead", [5n, b32("other")])).toEqual({
      errorName: "TransparencyLogForked",
      args: [5n, b32("root 5"), b32("other")],
    });
  });
});
