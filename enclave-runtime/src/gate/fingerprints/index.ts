/**
 * Keyed fingerprints of a dataset version for the Output Gate's raw-record leakage check (runs inside
 * the TEE): build at ingest, serialize for encrypted storage, scan outputs.
 */
export { type BuildFingerprintInput, buildFingerprintIndex, type DatasetRow } from "./build";
export { FingerprintIndex, type FingerprintSets, type FingerprintStats } from "./fingerprint-index";
export { type FingerprintParams, type FingerprintParamsInput, fingerprintParamsSchema } from "./params";
export { type Hits, type LeakageScan, type ScanTable, scanForLeakage } from "./scan";
export { deserializeFingerprintIndex, serializeFingerprintIndex } from "./serialize";
