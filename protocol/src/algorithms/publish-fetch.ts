/**
 * Publishing and fetching algorithms through a DataAvailability layer (runs anywhere: the CLI publishes
 * before `requestJob`; auditors and the Privacy Plane fetch by the on-chain spec commitment and verify).
 */
import type { Hex } from "viem";
import { Cce4longError } from "../errors/index";
import {
  type AlgorithmObjects,
  algorithmKeys,
  algorithmRecordBytes,
  type VerifiedAlgorithm,
  verifyAlgorithm,
} from "./algorithm-record";
import type { DataAvailability } from "./data-availability";

/** Stores spec, source and record (source first, record last: a record never points at nothing). */
export async function publishAlgorithm(da: DataAvailability, algorithm: AlgorithmObjects): Promise<void> {
  const { record } = algorithm;
  await da.put(algorithmKeys.source(record.source.sha256), algorithm.sourceTar, "application/x-tar");
  await da.put(algorithmKeys.spec(record.specCommitment), algorithm.specBytes, "application/json");
  await da.put(algorithmKeys.record(record.specCommitment), algorithmRecordBytes(record), "application/json");
}

/** Fetches the algorithm of a job by its on-chain spec commitment and verifies it (ALGORITHM_RECORD_INVALID on tampering). */
export async function fetchVerifiedAlgorithm(
  da: DataAvailability,
  expected: { specCommitment: Hex; onChainImageDigest?: Hex },
): Promise<VerifiedAlgorithm> {
  const recordBytes = await required(da, algorithmKeys.record(expected.specCommitment), "algorithm record");
  const specBytes = await required(da, algorithmKeys.spec(expected.specCommitment), "job spec");
  let sourceKey: string;
  try {
    const declared = JSON.parse(new TextDecoder().decode(recordBytes)) as { source?: { sha256?: unknown } };
    sourceKey = algorithmKeys.source(String(declared.source?.sha256));
  } catch (cause) {
    throw new Cce4longError("ALGORITHM_RECORD_INVALID", "the algorithm record is malformed", { cause });
  }
  const sourceTar = await required(da, sourceKey, "algorithm source");
  return verifyAlgorithm(expected, { specBytes, recordBytes, sourceTar });
}

async function required(da: DataAvailability, key: string, what: string): Promise<Uint8Array> {
  const bytes = await da.get(key);
  if (bytes === null) {
    throw new Cce4longError("NOT_FOUND", `the ${what} is not in the data-availability layer`, {
      detail: { key, layer: da.name },
    });
  }
  return bytes;
}
