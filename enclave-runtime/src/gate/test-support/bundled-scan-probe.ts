/**
 * A probe bundled by parallel-scan.test.ts with the Privacy Plane's esbuild settings into the folder
 * of the bundled gate-scan-worker.mjs, then run with plain node (tests only): scans the fixture's raw
 * rows with the default pool, so the worker is found and loaded the way privacy-plane.mjs loads it,
 * and prints the result as JSON for the test to compare with a single-thread scan.
 */
import { scanCsv } from "../parallel-scan/scan-csv";
import { ScanWorkerPool } from "../parallel-scan/worker-pool";
import { asGrid, FIXTURE_ROWS, fixtureIndex, toDelimited } from "./cohort-fixture";

const bytes = new TextEncoder().encode(toDelimited(asGrid(FIXTURE_ROWS.slice(0, 1500)), ","));
const pool = new ScanWorkerPool({ size: 2 });
const result = await scanCsv(fixtureIndex(), bytes, { pool, parallelFromBytes: 0 });
process.stdout.write(`${JSON.stringify({ workers: pool.workers, result })}\n`);
await pool.close();
