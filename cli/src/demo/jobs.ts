/**
 * The demo's example jobs (runs on the user's machine): the provider allows the example's image for
 * its dataset, then the consumer publishes, requests and submits it with the SDK (sdk/jobs.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { REPO_ROOT } from "../../../platform/src/stack";
import type { ApiClient } from "../sdk/api-client";
import type { HubClient } from "../sdk/hub-client";
import { publishSpec, requestAndSubmitJob } from "../sdk/jobs";

export { jobStatusName as statusName, waitForJob } from "../sdk/jobs";

export interface RequestedJob {
  jobId: Hex;
  name: string;
  resultKeyFile: string;
}

export async function requestExampleJob(input: {
  example: string;
  datasetId: Hex;
  consumerApi: ApiClient;
  consumerHub: HubClient;
  providerHub: HubClient;
  workDir: string;
}): Promise<RequestedJob> {
  const spec = JSON.parse(
    readFileSync(join(REPO_ROOT, "examples", input.example, "job.json"), "utf8"),
  ) as unknown;
  const published = await publishSpec(input.consumerApi, spec);
  // The provider decides which algorithms may touch its data: allow this image for this dataset.
  await input.providerHub.allowImageDigest(input.datasetId, published.imageDigest as Hex);
  const resultKeyFile = join(input.workDir, `${input.example}.result-key`);
  const { jobId } = await requestAndSubmitJob({
    api: input.consumerApi,
    hub: input.consumerHub,
    datasetId: input.datasetId,
    published,
    resultKeyFile,
  });
  return { jobId, name: input.example, resultKeyFile };
}
