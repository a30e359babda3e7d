/**
 * Reading a committed dataset version's manifest by its on-chain root (runs inside the TEE): the one
 * place that fetches `manifests/<root>.json` from the datasets bucket, parses it and verifies it
 * against the root and the dataset. Used by key release (the VM's lower layer), the Output Gate's
 * inputs and Explore's sample.
 */
import { Cce4longError } from "@cce4long/protocol";
import { UPLOAD_KEYS } from "@cce4long/protocol/api/uploads";
import { type DatasetManifest, verifyManifest } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { ObjectStore } from "./object-store";

/** The verified manifest, or null when the bucket has none for the root; anything else is refused. */
export async function readVersionManifest(
  store: Pick<ObjectStore, "getBytes">,
  datasetId: string,
  root: string,
): Promise<DatasetManifest | null> {
  const bytes = await store.getBytes(BUCKETS.datasets, UPLOAD_KEYS.manifestByRoot(datasetId, root));
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Cce4longError("DATASET_MANIFEST_INVALID", "The dataset version manifest is not JSON", {
      detail: { datasetId, manifestRoot: root },
    });
  }
  const manifest = verifyManifest(value, root);
  if (manifest.datasetId.toLowerCase() !== datasetId.toLowerCase()) {
    throw new Cce4longError("DATASET_MANIFEST_INVALID", "The version manifest is another dataset's", {
      detail: { datasetId, manifestRoot: root },
    });
  }
  return manifest;
}
