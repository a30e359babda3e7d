/**
 * A scan worker that never answers (runs as a worker thread under vitest, tests only): stands in for a
 * worker stuck in a scan, to show the pool's slice timeout fails the gate run closed.
 */
import { parentPort } from "node:worker_threads";

parentPort?.on("message", () => {
  // Keeps the slice forever; the pool must give up on it.
});
