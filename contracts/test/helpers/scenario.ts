/**
 * Reusable set-ups on a running hub fixture (tests only): a registered dataset with a committed
 * version, an allowed image and measurement, and a consumer with an active rental.
 */
import { datasetIdOf, jobIdOf } from "@cce4long/protocol/chain/index";
import type { Hex } from "viem";
import type { LocalRole } from "../../scripts/local-accounts";
import { b32, type HubFixture, TERMS } from "./hub-fixture";

export const IMAGE = b32("image: sha256 of an OCI manifest");
export const MEASUREMENT = b32("measurement id");
export const SPEC = b32("spec commitment");
export const RESULT_KEY = b32("x25519 result key");

export interface DatasetOptions {
  provider?: LocalRole;
  terms?: { pricePerPeriod: bigint; periodSeconds: bigint; exploreOffered: boolean; freePreview: boolean };
  reviewers?: LocalRole[];
}

/** Registers a dataset under `label` and returns its id. */
export async function registerDataset(
  f: HubFixture,
  label: string,
  options: DatasetOptions = {},
): Promise<Hex> {
  const provider = options.provider ?? "provider";
  const salt = b32(label);
  await f.write(provider, "registerDataset", [
    salt,
    b32(`meta ${label}`),
    `s3://catalogue/${label}.json`,
    options.terms ?? TERMS,
    (options.reviewers ?? ["reviewer"]).map((role) => f.address(role)),
  ]);
  return datasetIdOf(f.address(provider), salt);
}

/** A dataset with version 1 committed, IMAGE and MEASUREMENT allowed for it, rented by `consumer`. */
export async function rentedDataset(
  f: HubFixture,
  label: string,
  consumer: LocalRole = "consumer",
): Promise<Hex> {
  const datasetId = await registerDataset(f, label);
  await f.write("privacyPlaneSigner", "commitDatasetVersion", [datasetId, b32(`root ${label}`)]);
  await f.write("owner", "setImageDigestAllowed", [datasetId, IMAGE, true]);
  await f.write("owner", "setMeasurementAllowed", [datasetId, MEASUREMENT, true]);
  await f.write(consumer, "rent", [datasetId, 1], TERMS.pricePerPeriod);
  return datasetId;
}

/** Requests a job with salt `label` and returns its id. */
export async function requestJob(
  f: HubFixture,
  datasetId: Hex,
  label: string,
  consumer: LocalRole = "consumer",
): Promise<Hex> {
  await f.write(consumer, "requestJob", [b32(label), datasetId, IMAGE, SPEC, RESULT_KEY]);
  return jobIdOf(f.address(consumer), b32(label));
}
