/**
 * A scan worker that crashes on its first request (runs as a worker thread under vitest, tests only):
 * stands in for a worker that dies mid-scan, to show the gate fails closed.
 */
import { parentPort } from "node:worker_threads";

parentPort?.on("message", () => {
  throw new Error("scan worker crashed (test)");
});
