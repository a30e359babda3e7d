/**
 * The cce4long story, end to end (runs on the user's machine against a running platform): the
 * same code drives `npm run demo` and the automated test in test/e2e/. Every step checks what it
 * claims; the first failure stops the story.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditTrailResponse, DatasetDetail, ListDatasetsResponse } from "@cce4long/protocol";
import { type Hex, parseEther } from "viem";
import { localAccount } from "../../../contracts/scripts/local-accounts";
import { writeCohort } from "../cohort/write";
import { metadataDocument } from "../commands/dataset";
import type { Endpoints } from "../context";
import { ApiClient } from "../sdk/api-client";
import { createHubClient } from "../sdk/hub-client";
import type { Narrator } from "./narrator";

export interface StoryOptions {
  endpoints: Endpoints;
  narrator: Narrator;
  participants: number;
  seed?: bigint;
}

export interface StoryOutcome {
  datasetId: Hex;
  auditEvents: string[];
}

export async function runStory(options: StoryOptions): Promise<StoryOutcome> {
  const { endpoints, narrator } = options;
  const work = mkdtempSync(join(tmpdir(), "cce4long-demo-"));
  const provider = localAccount("provider");
  const consumer = localAccount("consumer");
  const reviewer = localAccount("reviewer");
  try {
    const cohort = await narrator.step(
      "A biobank prepares its cohort",
      `The provider has ${options.participants.toLocaleString("en-US")} participants with identifiers, biomarkers, an epigenetic clock and follow-up (synthetic, seeded).`,
      () =>
        writeCohort({
          participants: options.participants,
          seed: options.seed ?? 20261121n,
          format: "csv",
          out: join(work, "cohort.csv"),
        }),
      (s) =>
        `${s.participants.toLocaleString("en-US")} rows, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.deaths.toLocaleString("en-US")} deaths`,
    );
    void cohort;

    const providerHub = createHubClient(endpoints, provider);
    const { datasetId } = await narrator.step(
      "The provider registers the dataset on-chain",
      "Price, rental period, a named reviewer for the Output Gate, and Explore Mode on; anyone can see this record.",
      () => {
        const metadata = metadataDocument(
          "Longevity cohort (synthetic)",
          "Biomarkers, epigenetic clock age and mortality follow-up",
        );
        return providerHub.registerDataset({
          metadataHash: metadata.hash,
          metadataUri: metadata.uri,
          terms: {
            pricePerPeriod: parseEther("0.05"),
            periodSeconds: 30 * 86_400,
            exploreOffered: true,
            freePreview: false,
          },
          reviewers: [reviewer.address],
        });
      },
      (r) => `dataset ${r.datasetId}`,
    );

    const api = new ApiClient({ baseUrl: endpoints.api });
    await narrator.step(
      "A researcher signs in with a wallet and browses the catalogue",
      "Sign-in with Ethereum (EIP-4361) gives a short-lived consumer token; the catalogue comes from the chain.",
      async () => {
        await api.signIn(consumer, { chainId: endpoints.chainId });
        const page = await api.request<ListDatasetsResponse>("GET", "/v1/datasets");
        if (!page.datasets.some((d) => d.datasetId === datasetId))
          throw new Error("the new dataset is not in the catalogue");
        const detail = await api.request<DatasetDetail>("GET", `/v1/datasets/${datasetId}`);
        if (!detail.reviewers.map((r) => r.toLowerCase()).includes(reviewer.address.toLowerCase())) {
          throw new Error("the catalogue does not show the dataset's reviewer");
        }
        return page.datasets.length;
      },
      (n) => `${n} dataset(s) listed; reviewer shown`,
    );

    const consumerHub = createHubClient(endpoints, consumer);
    await narrator.step(
      "The researcher rents the dataset",
      "One rental period, paid on-chain; the provider earns, and every part of cce4long now sees an active rental.",
      async () => {
        const rental = await consumerHub.rent(datasetId, 1);
        if (!(await consumerHub.isRentalActive(datasetId, consumer.address)))
          throw new Error("rental not active after renting");
        return rental;
      },
      (r) => `active until ${new Date(Number(r.expiresAt) * 1000).toISOString()}`,
    );

    const audit = await narrator.step(
      "Anyone reads the dataset's on-chain audit trail",
      "Every operation on the dataset is an event with its id indexed: one query returns its whole history.",
      async () => {
        const trail = await api.request<AuditTrailResponse>("GET", `/v1/datasets/${datasetId}/audit`);
        const names = trail.events.map((e) => e.eventName);
        for (const expected of ["DatasetRegistered", "RentalStarted"]) {
          if (!names.some((n) => n === expected))
            throw new Error(`the audit trail lacks ${expected} (has ${names.join(", ")})`);
        }
        for (const e of trail.events) narrator.say(`block ${e.blockNumber}: ${e.eventName}`);
        return names;
      },
      (names) => `${names.length} events`,
    );
    return { datasetId, auditEvents: audit };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
