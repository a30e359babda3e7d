/**
 * The collateral cache (runs inside the TEE and in the CLI): collateral keyed by platform (FMSPC and
 * PCK CA), seeded from files or given directly, refreshed through an injected fetcher (a PCCS in
 * production) when the cached set is missing or not current at "now". No fetcher: no network, ever.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation-error";
import {
  type Collateral,
  type CollateralFacts,
  isCollateralCurrent,
  type PlatformId,
  parseCollateral,
  platformKey,
} from "./collateral";
import { messageOf } from "./quote";

export interface CollateralSource {
  /** Collateral for this platform; throws ATTESTATION_INVALID/COLLATERAL_UNAVAILABLE if there is none. */
  collateralFor(platform: PlatformId, now: Date): Promise<Collateral>;
}

/** Fetches fresh collateral for one platform (see pccs-client.ts). Returns JSON-shaped data. */
export type CollateralFetcher = (platform: PlatformId) => Promise<unknown>;

interface Entry {
  collateral: Collateral;
  facts: CollateralFacts;
}

export class CollateralCache implements CollateralSource {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Entry>>();
  readonly #fetcher: CollateralFetcher | undefined;

  constructor(options: { collateral?: readonly unknown[]; fetcher?: CollateralFetcher } = {}) {
    this.#fetcher = options.fetcher;
    for (const item of options.collateral ?? []) this.add(item);
  }

  /** Adds (or replaces) the set for the platform it names itself; returns that platform. */
  add(value: unknown): PlatformId {
    const entry = parseCollateral(value);
    const key = platformKey(entry.facts.platform);
    const existing = this.#entries.get(key);
    // Keep whichever set stays current longer: an old file must not shadow a fresher fetch.
    if (!existing || existing.facts.validUntil <= entry.facts.validUntil) this.#entries.set(key, entry);
    return entry.facts.platform;
  }

  get size(): number {
    return this.#entries.size;
  }

  async collateralFor(platform: PlatformId, now: Date): Promise<Collateral> {
    const key = platformKey(platform);
    const cached = this.#entries.get(key);
    if (cached && isCollateralCurrent(cached.facts, now)) return cached.collateral;
    if (this.#fetcher) {
      const fetched = await this.#refresh(key, platform);
      if (platformKey(fetched.facts.platform) !== key) {
        throw attestationRejected(ATTESTATION_FAILURE.COLLATERAL_INVALID, {
          problem: "fetched collateral is for another platform",
          wanted: key,
          got: platformKey(fetched.facts.platform),
        });
      }
      return fetched.collateral;
    }
    // Stale but present: hand it over so the verifier refuses it with the precise reason (expired).
    if (cached) return cached.collateral;
    throw attestationRejected(ATTESTATION_FAILURE.COLLATERAL_UNAVAILABLE, { platform: key });
  }

  /** One fetch per platform at a time, however many quotes arrive together. */
  #refresh(key: string, platform: PlatformId): Promise<Entry> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const fetcher = this.#fetcher;
    if (!fetcher) throw new Error("no fetcher");
    const promise = (async () => {
      let raw: unknown;
      try {
        raw = await fetcher(platform);
      } catch (error) {
        throw attestationRejected(
          ATTESTATION_FAILURE.COLLATERAL_UNAVAILABLE,
          { platform: key, problem: messageOf(error) },
          error,
        );
      }
      const entry = parseCollateral(raw);
      this.add(raw);
      return entry;
    })().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }
}

/** Reads every *.json in a directory as one collateral set (the offline seed of the cache). */
export async function loadCollateralDirectory(directory: string): Promise<unknown[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".json")).sort();
  return Promise.all(names.map(async (name) => readCollateralFile(join(directory, name))));
}

export async function readCollateralFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw attestationRejected(
      ATTESTATION_FAILURE.COLLATERAL_INVALID,
      { file: path, problem: messageOf(error) },
      error,
    );
  }
}
