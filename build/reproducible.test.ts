/**
 * The reproducible build really is reproducible (developer machine, CI): two builds into different
 * folders give the same sha256 for every bundle, and the digests file names the commit and toolchain.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLES } from "./bundles";
import { BUILD_SCHEMA, type BuildReport, buildReproducible, differingBundles } from "./reproducible";

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "cce4long-repro-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm run build:reproducible", () => {
  it("builds every bundle twice, in different folders, to the same digests", {
    timeout: 300_000,
  }, async () => {
    const [a, b] = [join(scratch(), "first"), join(scratch(), "second", "nested")];
    const first = await buildReproducible(a);
    const second = await buildReproducible(b);
    expect(first.bundles.map((bundle) => bundle.name)).toEqual(BUNDLES.map((bundle) => bundle.name));
    expect(differingBundles(first, second)).toEqual([]);
    for (const bundle of first.bundles) {
      expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(bundle.bytes).toBeGreaterThan(10_000);
      expect(statSync(join(a, bundle.file)).mtimeMs).toBe(0);
    }
    const written = JSON.parse(readFileSync(join(a, "digests.json"), "utf8"));
    expect(written).toEqual(first);
    expect(written.schema).toBe(BUILD_SCHEMA);
    expect(written.toolchain.esbuild).toBe("0.28.2");
    const privacyPlane = first.bundles.find((bundle) => bundle.name === "privacy-plane")!;
    for (const pin of privacyPlane.externals) expect(pin.integrity).toMatch(/^sha512-/);
  });

  it("error: differingBundles names a bundle whose digest changed", async () => {
    const report: BuildReport = {
      schema: BUILD_SCHEMA,
      commit: "c",
      dirty: false,
      toolchain: { esbuild: "0.28.2", wrangler: "4.155.0" },
      bundles: BUNDLES.map((bundle) => ({
        name: bundle.name,
        entry: bundle.entry,
        file: bundle.file,
        sha256: "0".repeat(64),
        bytes: 1,
        externals: [],
        absentOptional: [],
      })),
    };
    const changed = {
      ...report,
      bundles: report.bundles.map((b, i) => (i === 1 ? { ...b, sha256: "1".repeat(64) } : b)),
    };
    expect(differingBundles(report, changed)).toEqual(["privacy-plane"]);
  });
});
