/**
 * `npm run bench` (runs on the developer's machine or in CI, never as part of `npm test`).
 * Runs every benchmark in bench/benches/ (or the ones named: `npm run bench -- NAME ...`) and
 * prints one table of measurements, each beside a reference measured in the same run; `--json`
 * prints the same as JSON. Exits non-zero only if a benchmark crashed, not when a goal is missed:
 * goals are reported, because these machines are noisy.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type Row, renderTable } from "./report";
import type { Benchmark } from "./types";

const BENCH_DIR = join(import.meta.dirname, "benches");

async function loadBenchmarks(): Promise<Benchmark[]> {
  const files = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .sort();
  const loaded: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(join(BENCH_DIR, file))) as { default?: Benchmark };
    if (mod.default) loaded.push(mod.default);
  }
  return loaded;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const names = args.filter((a) => !a.startsWith("--"));
  const all = await loadBenchmarks();
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(", ")}; available: ${all.map((b) => b.name).join(", ")}`,
    );
    return 2;
  }
  const selected = names.length > 0 ? all.filter((b) => names.includes(b.name)) : all;
  const rows: Row[] = [];
  let crashed = 0;
  for (const bench of selected) {
    if (!json) process.stderr.write(`running ${bench.name}: ${bench.description}\n`);
    try {
      for (const m of await bench.run()) rows.push(evaluate(bench.name, m));
    } catch (error) {
      crashed++;
      process.stderr.write(
        `  ${bench.name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(`\n${renderTable(rows)}\n`);
  return crashed > 0 ? 1 : 0;
}

process.exitCode = await main();
