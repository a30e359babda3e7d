/**
 * The Explore sample as ingest's derived artefacts (runs inside the TEE, at ingest): two builders for
 * ingest's hook (ingest/derived.ts), the sample CSV and its report JSON, stored sealed under the dataset
 * key as `.cce4long/explore-sample.csv` and `.cce4long/explore-sample-report.json` (kind "explore-sample").
 * Both come from one run of the sampler per version (memoized on the context).
 */
import {
  type DatasetSchema,
  EXPLORE_SAMPLE_PATH,
  EXPLORE_SAMPLE_REPORT_PATH,
  type ExploreSamplePolicyInput,
} from "@cce4long/protocol";
import type { DerivedArtefactBuilder, DerivedArtefactContext } from "../../ingest/derived";
import { buildExploreSampleArtefacts, type ExploreSampleArtefacts } from "./sample-artefact";

/** The provider's policy for a dataset (docs/explore-mode.md); undefined: the defaults. */
export type SamplePolicyLookup = (datasetId: string) => Promise<ExploreSamplePolicyInput | undefined>;

export function exploreSampleBuilders(policyFor: SamplePolicyLookup): DerivedArtefactBuilder[] {
  const runs = new WeakMap<DerivedArtefactContext, Promise<ExploreSampleArtefacts | null>>();
  const run = (context: DerivedArtefactContext) => {
    let pending = runs.get(context);
    if (pending === undefined) {
      pending = sampleOf(context, policyFor);
      runs.set(context, pending);
    }
    return pending;
  };
  return [
    {
      name: EXPLORE_SAMPLE_PATH.replace(/^\.cce4long\//, ""),
      kind: "explore-sample",
      build: async (context) => (await run(context))?.csv ?? null,
    },
    {
      name: EXPLORE_SAMPLE_REPORT_PATH.replace(/^\.cce4long\//, ""),
      kind: "explore-sample",
      build: async (context) => (await run(context))?.reportJson ?? null,
    },
  ];
}

async function sampleOf(
  context: DerivedArtefactContext,
  policyFor: SamplePolicyLookup,
): Promise<ExploreSampleArtefacts | null> {
  const first = context.tables[0];
  if (first === undefined) return null;
  const schema: DatasetSchema = first.schema;
  const tables = context.tables.filter((t) => t.schema === schema);
  const rows = {
    *[Symbol.iterator]() {
      for (const table of tables) yield* table.rows;
    },
  };
  const policy = (await policyFor(context.datasetId)) ?? {};
  return buildExploreSampleArtefacts(rows, schema, policy, context.datasetKey);
}
