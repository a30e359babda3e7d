/**
 * Dataset registry on a real anvil (tests only): registration, updates, reviewers, retirement and
 * version commits, with their events and reverts.
 */
import { datasetIdOf } from "@cce4long/protocol/chain/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture, TERMS } from "./helpers/hub-fixture";
import { registerDataset } from "./helpers/scenario";

let f: HubFixture;

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe("registerDataset", () => {
  it("registers under keccak256(provider, salt) and emits DatasetRegistered and DatasetReviewersChanged", async () => {
    const salt = b32("cohort-a");
    const { events } = await f.write("provider", "registerDataset", [
      salt,
      b32("meta"),
      "s3://catalogue/a.json",
      TERMS,
      [f.address("reviewer")],
    ]);
    const datasetId = datasetIdOf(f.address("provider"), salt);
    expect(only(events, "DatasetRegistered").args).toEqual({
      datasetId,
      provider: f.address("provider"),
      metadataHash: b32("meta"),
      metadataUri: "s3://catalogue/a.json",
      terms: TERMS,
    });
    expect(only(events, "DatasetReviewersChanged").args).toEqual({
      datasetId,
      reviewers: [f.address("reviewer")],
    });
    expect(await f.read("datasetIdOf", [f.address("provider"), salt])).toBe(datasetId);
    expect(await f.read("getDataset", [datasetId])).toMatchObject({
      provider: f.address("provider"),
      retired: false,
      versionCount: 0,
      metadataHash: b32("meta"),
      metadataUri: "s3://catalogue/a.json",
      terms: TERMS,
    });
    const count = await f.read<bigint>("datasetCount");
    expect(await f.read("datasetIdAt", [count - 1n])).toBe(datasetId);
    expect(await f.read("reviewersOf", [datasetId])).toEqual([f.address("reviewer")]);
    expect(await f.read("isReviewer", [datasetId, f.address("reviewer")])).toBe(true);
  });

  it("the same salt from another provider is another dataset", async () => {
    const a = await registerDataset(f, "shared-salt");
    const b = await registerDataset(f, "shared-salt", { provider: "secondProvider" });
    expect(a).not.toBe(b);
  });

  it("error: registering the same id twice", async () => {
    const id = await registerDataset(f, "twice");
    const reverted = await f.revert("provider", "registerDataset", [b32("twice"), b32("m"), "", TERMS, []]);
    expect(reverted).toEqual({ errorName: "DatasetsAlreadyRegistered", args: [id] });
  });

  it("error: a zero period or a free preview without Explore Mode", async () => {
    for (const terms of [
      { ...TERMS, periodSeconds: 0n },
      { ...TERMS, exploreOffered: false, freePreview: true },
    ]) {
      const reverted = await f.revert("provider", "registerDataset", [
        b32("bad terms"),
        b32("m"),
        "",
        terms,
        [],
      ]);
      expect(reverted.errorName).toBe("DatasetsInvalidTerms");
    }
  });

  it("error: more than 16 reviewers, a zero reviewer or a duplicate", async () => {
    const many = Array.from({ length: 17 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);
    expect(await f.revert("provider", "registerDataset", [b32("r"), b32("m"), "", TERMS, many])).toEqual({
      errorName: "DatasetsTooManyReviewers",
      args: [17n, 16n],
    });
    const zero = "0x0000000000000000000000000000000000000000";
    expect(
      (await f.revert("provider", "registerDataset", [b32("r"), b32("m"), "", TERMS, [zero]])).errorName,
    ).toBe("DatasetsInvalidReviewer");
    const twice = [f.address("reviewer"), f.address("reviewer")];
    expect(await f.revert("provider", "registerDataset", [b32("r"), b32("m"), "", TERMS, twice])).toEqual({
      errorName: "DatasetsInvalidReviewer",
      args: [f.address("reviewer")],
    });
  });

  it("error: reading an unknown dataset", async () => {
    const unknown = b32("unknown");
    expect(await f.revert("consumer", "getDataset" as never, [unknown])).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
  });
});

describe("provider changes", () => {
  it("updateDataset changes metadata and terms and emits DatasetUpdated", async () => {
    const id = await registerDataset(f, "update");
    const terms = { pricePerPeriod: 5n, periodSeconds: 60n, exploreOffered: true, freePreview: true };
    const { events } = await f.write("provider", "updateDataset", [id, b32("meta2"), "ipfs://x", terms]);
    expect(only(events, "DatasetUpdated").args).toEqual({
      datasetId: id,
      metadataHash: b32("meta2"),
      metadataUri: "ipfs://x",
      terms,
    });
    expect(await f.read("getDataset", [id])).toMatchObject({ terms, metadataUri: "ipfs://x" });
  });

  it("setDatasetReviewers replaces the whole list", async () => {
    const id = await registerDataset(f, "reviewers");
    const { events } = await f.write("provider", "setDatasetReviewers", [id, [f.address("secondConsumer")]]);
    expect(only(events, "DatasetReviewersChanged").args.reviewers).toEqual([f.address("secondConsumer")]);
    expect(await f.read("isReviewer", [id, f.address("reviewer")])).toBe(false);
    expect(await f.read("isReviewer", [id, f.address("secondConsumer")])).toBe(true);
    expect(await f.read("reviewersOf", [id])).toEqual([f.address("secondConsumer")]);
  });

  it("error: another account cannot update, name reviewers or retire", async () => {
    const id = await registerDataset(f, "not-yours");
    const other = f.address("secondProvider");
    const expected = { errorName: "DatasetsNotProvider", args: [id, other] };
    expect(await f.revert("secondProvider", "updateDataset", [id, b32("m"), "", TERMS])).toEqual(expected);
    expect(await f.revert("secondProvider", "setDatasetReviewers", [id, []])).toEqual(expected);
    expect(await f.revert("secondProvider", "retireDataset", [id])).toEqual(expected);
    const unknown = b32("nope");
    expect(await f.revert("provider", "retireDataset", [unknown])).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
  });

  it("retireDataset is final: no second retirement, no updates, no new versions; reviewers may still change", async () => {
    const id = await registerDataset(f, "retire");
    const { events } = await f.write("provider", "retireDataset", [id]);
    expect(only(events, "DatasetRetired").args).toEqual({ datasetId: id });
    expect(await f.read("getDataset", [id])).toMatchObject({ retired: true });
    const retired = { errorName: "DatasetsRetired", args: [id] };
    expect(await f.revert("provider", "retireDataset", [id])).toEqual(retired);
    expect(await f.revert("provider", "updateDataset", [id, b32("m"), "", TERMS])).toEqual(retired);
    expect(await f.revert("privacyPlaneSigner", "commitDatasetVersion", [id, b32("root")])).toEqual(retired);
    await f.write("provider", "setDatasetReviewers", [id, [f.address("reviewer")]]);
  });
});

describe("commitDatasetVersion", () => {
  it("numbers versions from 1 and stores each manifest root", async () => {
    const id = await registerDataset(f, "versions");
    const first = await f.write("privacyPlaneSigner", "commitDatasetVersion", [id, b32("root 1")]);
    expect(only(first.events, "DatasetVersionCommitted").args).toEqual({
      datasetId: id,
      version: 1,
      manifestRoot: b32("root 1"),
    });
    const second = await f.write("privacyPlaneSigner", "commitDatasetVersion", [id, b32("root 2")]);
    expect(only(second.events, "DatasetVersionCommitted").args.version).toBe(2);
    expect(await f.read("datasetVersionRoot", [id, 1])).toBe(b32("root 1"));
    expect(await f.read("datasetVersionRoot", [id, 2])).toBe(b32("root 2"));
    expect(await f.read("getDataset", [id])).toMatchObject({ versionCount: 2 });
    expect(await f.revert("consumer", "datasetVersionRoot" as never, [id, 3])).toEqual({
      errorName: "DatasetsUnknownVersion",
      args: [id, 3],
    });
  });

  it("error: only an authorized signer commits, with a non-zero root, to a known dataset", async () => {
    const id = await registerDataset(f, "versions-bad");
    expect(await f.revert("provider", "commitDatasetVersion", [id, b32("root")])).toEqual({
      errorName: "PolicyUnauthorizedSigner",
      args: [f.address("provider")],
    });
    expect((await f.revert("privacyPlaneSigner", "commitDatasetVersion", [id, b32("")])).errorName).toBe(
      "DatasetsZeroManifestRoot",
    );
    const unknown = b32("unknown");
    expect(await f.revert("privacyPlaneSigner", "commitDatasetVersion", [unknown, b32("r")])).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
  });
});
