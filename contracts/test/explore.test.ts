/**
 * Explore Mode session records on a real anvil (tests only): rental or free-preview access, retirement,
 * and the open/close state machine.
 */
import { ExploreCloseReason, ExploreSessionStatus } from "@cce4long/protocol/chain/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture, TERMS } from "./helpers/hub-fixture";
import { registerDataset } from "./helpers/scenario";

let f: HubFixture;
const signer = "privacyPlaneSigner" as const;

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe("Explore sessions", () => {
  it("a renter's session opens and closes with both events", async () => {
    const id = await registerDataset(f, "explore");
    await f.write("consumer", "rent", [id, 1], TERMS.pricePerPeriod);
    const consumer = f.address("consumer");
    const opened = await f.write(signer, "recordExploreSessionOpened", [id, b32("s1"), consumer]);
    expect(only(opened.events, "ExploreSessionOpened").args).toEqual({
      datasetId: id,
      sessionId: b32("s1"),
      consumer,
      freePreview: false,
    });
    expect(await f.read("getExploreSession", [id, b32("s1")])).toMatchObject({
      consumer,
      status: ExploreSessionStatus.Open,
      freePreview: false,
    });
    const closed = await f.write(signer, "recordExploreSessionClosed", [
      id,
      b32("s1"),
      ExploreCloseReason.TimeLimit,
    ]);
    expect(only(closed.events, "ExploreSessionClosed").args).toEqual({
      datasetId: id,
      sessionId: b32("s1"),
      consumer,
      reasonCode: ExploreCloseReason.TimeLimit,
    });
    expect(await f.revert(signer, "recordExploreSessionClosed", [id, b32("s1"), 0])).toEqual({
      errorName: "ExploreSessionNotOpen",
      args: [id, b32("s1")],
    });
    expect(await f.revert(signer, "recordExploreSessionOpened", [id, b32("s1"), consumer])).toEqual({
      errorName: "ExploreSessionAlreadyExists",
      args: [id, b32("s1")],
    });
    const elsewhere = await registerDataset(f, "explore-other");
    expect(await f.revert(signer, "recordExploreSessionClosed", [elsewhere, b32("s1"), 0])).toEqual({
      errorName: "ExploreSessionNotOpen",
      args: [elsewhere, b32("s1")],
    });
  });

  it("a free preview lets a consumer without a rental in, until the dataset is retired", async () => {
    const id = await registerDataset(f, "preview", { terms: { ...TERMS, freePreview: true } });
    const consumer = f.address("secondConsumer");
    const { events } = await f.write(signer, "recordExploreSessionOpened", [id, b32("p1"), consumer]);
    expect(only(events, "ExploreSessionOpened").args.freePreview).toBe(true);
    await f.write("provider", "retireDataset", [id]);
    expect(await f.revert(signer, "recordExploreSessionOpened", [id, b32("p2"), consumer])).toEqual({
      errorName: "ExploreNoAccess",
      args: [id, consumer],
    });
  });

  it("error: no rental and no free preview, Explore Mode not offered, zero id, unauthorized signer", async () => {
    const id = await registerDataset(f, "closed");
    const consumer = f.address("secondConsumer");
    expect(await f.revert(signer, "recordExploreSessionOpened", [id, b32("c1"), consumer])).toEqual({
      errorName: "ExploreNoAccess",
      args: [id, consumer],
    });
    const noExplore = await registerDataset(f, "no-explore", { terms: { ...TERMS, exploreOffered: false } });
    expect(await f.revert(signer, "recordExploreSessionOpened", [noExplore, b32("c2"), consumer])).toEqual({
      errorName: "ExploreNotOffered",
      args: [noExplore],
    });
    expect((await f.revert(signer, "recordExploreSessionOpened", [id, b32(""), consumer])).errorName).toBe(
      "ExploreSessionAlreadyExists",
    );
    expect(await f.revert("consumer", "recordExploreSessionOpened", [id, b32("c3"), consumer])).toEqual({
      errorName: "PolicyUnauthorizedSigner",
      args: [f.address("consumer")],
    });
    expect((await f.revert("consumer", "recordExploreSessionClosed", [id, b32("c3"), 0])).errorName).toBe(
      "PolicyUnauthorizedSigner",
    );
  });
});
