/**
 * Entry of a gate scan worker thread (runs inside the TEE, in the Privacy Plane's process; bundled
 * on its own as gate-scan-worker.mjs beside privacy-plane.mjs, see build/bundles.ts). Scans one slice
 * of a CSV output per request with the same code as a single-thread scan (parse/csv-scan.ts), over
 * the output and index tables the main thread shares. The tag key arrives in the request and is
 * wiped (the received bytes at once, the worker's own copy after the scan); nothing is logged.
 */
import { parentPort } from "node:worker_threads";
import { Cce4longError } from "@cce4long/protocol";
import { FingerprintIndex, type FingerprintSets } from "../fingerprints/fingerprint-index";
import { FingerprintKey } from "../fingerprints/prf";
import { TagSet } from "../fingerprints/tag-set";
import { scanCsvRecords } from "../parse/csv-scan";
import type { ScanSliceReply, ScanSliceRequest } from "./messages";

function scanSlice(request: ScanSliceRequest): ScanSliceReply {
  let key: FingerprintKey | null = null;
  try {
    key = FingerprintKey.fromTagKey(request.tagKey);
    request.tagKey.fill(0);
    const sets = Object.fromEntries(
      Object.entries(request.index.sets).map(([name, shared]) => [name, TagSet.fromShared(shared)]),
    ) as unknown as FingerprintSets;
    const index = new FingerprintIndex(key, request.index.params, request.index.stats, sets);
    const scan = scanCsvRecords(index, request.bytes, request.layout, request.from, request.to);
    return { id: request.id, ok: true, scan };
  } catch (error) {
    // The kind of error only: a message could quote a cell of the output.
    const reply: ScanSliceReply = {
      id: request.id,
      ok: false,
      errorName: error instanceof Error ? error.name : typeof error,
    };
    if (error instanceof Cce4longError) reply.code = error.code;
    return reply;
  } finally {
    request.tagKey.fill(0);
    key?.wipe();
  }
}

if (parentPort === null) throw new Error("the gate scan worker runs only as a worker thread");
const port = parentPort;
port.on("message", (request: ScanSliceRequest) => {
  port.postMessage(scanSlice(request));
});
