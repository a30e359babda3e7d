/**
 * What ingest derives from a version's tables inside the TEE (runs inside the TEE): the Output Gate's
 * keyed fingerprint index now, the Explore Mode sample later (issue 8) through the same hook. Each
 * artefact is sealed in the file format under the dataset key and listed in the manifest.
 */
import type { DatasetSchema } from "@cce4long/protocol";
import type { ManifestEntryKind } from "@cce4long/protocol/datasets/manifest";
import { expandKey } from "@cce4long/sealing/keys/derive";
import { INGEST_FINGERPRINT_VERSION_KEY_LABEL } from "@cce4long/sealing/keys/labels";
import { exploreSampleBuilders, type SamplePolicyLookup } from "../explore/sample/ingest-builders";
import { buildFingerprintIndex, serializeFingerprintIndex } from "../gate/fingerprints/index";

/** One recognised table of the version: rows re-readable as often as a builder needs (see tables.ts). */
export interface TableFile {
  path: string;
  schema: DatasetSchema;
  rows: Iterable<Record<string, string>>;
}

export interface DerivedArtefactContext {
  datasetId: string;
  uploadId: string;
  /** The dataset key the version is written under (32 bytes). Builders derive their own keys from it. */
  datasetKey: Uint8Array;
  tables: readonly TableFile[];
}

/**
 * The hook. A builder returns the artefact's plaintext bytes (ingest seals and stores them under
 * `.cce4long/<name>` in the manifest) or null when it has nothing to build (e.g. no table). Issue 8's
 * desensitized sample is added as one more builder with kind "explore-sample".
 */
export interface DerivedArtefactBuilder {
  name: string;
  kind: Exclude<ManifestEntryKind, "data">;
  build(context: DerivedArtefactContext): Promise<Uint8Array | null>;
}

/** The fingerprint key of one dataset version: the gate derives it again from the manifest's ids. */
export function fingerprintVersionKey(
  datasetKey: Uint8Array,
  datasetId: string,
  uploadId: string,
): Uint8Array {
  return expandKey(datasetKey, INGEST_FINGERPRINT_VERSION_KEY_LABEL, datasetId, uploadId);
}

/** The Output Gate's fingerprint index over every table that has the first table's schema. */
export const fingerprintBuilder: DerivedArtefactBuilder = {
  name: "fingerprints",
  kind: "fingerprints",
  async build(context) {
    const first = context.tables[0];
    if (first === undefined) return null;
    const tables = context.tables.filter((t) => t.schema === first.schema);
    const rows: Iterable<Record<string, string>> = {
      *[Symbol.iterator]() {
        for (const table of tables) yield* table.rows;
      },
    };
    const key = fingerprintVersionKey(context.datasetKey, context.datasetId, context.uploadId);
    try {
      return serializeFingerprintIndex(
        buildFingerprintIndex({ datasetKey: key, schema: first.schema, rows }),
      );
    } finally {
      key.fill(0);
    }
  },
};

/**
 * What every ingest builds beside the data: the Output Gate's fingerprints and the Explore Mode
 * sample (with its report), sampled by the provider's signed policy when `samplePolicyFor` finds one.
 */
export function derivedBuilders(samplePolicyFor: SamplePolicyLookup): DerivedArtefactBuilder[] {
  return [fingerprintBuilder, ...exploreSampleBuilders(samplePolicyFor)];
}

/** The same with the default sample policy (benchmarks, tests). */
export const DEFAULT_DERIVED_BUILDERS: readonly DerivedArtefactBuilder[] = derivedBuilders(
  async () => undefined,
);
