/**
 * Key release, step 4 (runs inside the TEE): the VM's measurement (MRTD + RTMR0..2, as its on-chain id)
 * is allowed for this dataset by the on-chain policy, globally or for the dataset itself.
 */
import type { Hex } from "viem";
import type { JobChain } from "../jobs/job-chain";
import { KEY_RELEASE_DENIAL, keyReleaseDenied } from "./denial";

export async function ensureMeasurementAllowed(params: {
  chain: Pick<JobChain, "isMeasurementAllowed">;
  datasetId: Hex;
  measurementId: Hex;
}): Promise<void> {
  if (!(await params.chain.isMeasurementAllowed(params.datasetId, params.measurementId))) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.MEASUREMENT_NOT_ALLOWED, {
      datasetId: params.datasetId,
      measurementId: params.measurementId,
    });
  }
}
