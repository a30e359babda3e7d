/**
 * The reproducible build (developer machine, CI, auditors): bundles the boot agent, the Privacy Plane and
 * the Worker from the checked-out commit, fixes every output's mtime, refuses output holding absolute
 * paths, and prints and writes the sha256 of each bundle. `--twice` builds into two folders and fails
 * unless every digest matches. Usage:
 *   npm run build:reproducible [-- --out DIR] [--twice]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build, version as esbuildVersion, type Metafile } from "esbuild";
import { BUNDLES, type BundleSpec, esbuildOptions } from "./bundles";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD_SCHEMA = "cce4long/reproducible-build/v1";
/** Every output file gets this mtime (the epoch), so archives of the outputs are reproducible too. */
const FIXED_MTIME = new Date(0);

export interface ExternalPin {
  name: string;
  version: string;
  /** Subresource integrity from package-lock.json: what `npm ci` checks the tarball against. */
  integrity: string;
}

export interface BuiltBundle {
  name: BundleSpec["name"];
  entry: string;
  file: string;
  sha256: string;
  bytes: number;
  externals: ExternalPin[];
  /** Optional require()s inside try/catch that esbuild left unresolved and the lockfile does not install. */
  absentOptional: string[];
}

export interface BuildReport {
  schema: typeof BUILD_SCHEMA;
  commit: string;
  /** True when tracked files differ from the commit: the digests then name no commit. */
  dirty: boolean;
  toolchain: { esbuild: string; wrangler: string };
  bundles: BuiltBundle[];
}

/** Builds every bundle into `outDir` and writes `outDir/digests.json`. */
export async function buildReproducible(outDir: string): Promise<BuildReport> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bundles: BuiltBundle[] = [];
  for (const bundle of BUNDLES) {
    const outfile = join(outDir, bundle.file);
    mkdirSync(dirname(outfile), { recursive: true });
    const externalImports =
      bundle.bundler === "esbuild" ? await bundleWithEsbuild(bundle, outfile) : bundleWithWrangler(outfile);
    const bytes = readFileSync(outfile);
    refuseAbsolutePaths(bundle, bytes, outDir);
    utimesSync(outfile, FIXED_MTIME, FIXED_MTIME);
    bundles.push({
      name: bundle.name,
      entry: bundle.entry,
      file: bundle.file,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
      ...pinsOf(externalImports),
    });
  }
  const report: BuildReport = {
    schema: BUILD_SCHEMA,
    commit: git(["rev-parse", "HEAD"]),
    dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "",
    toolchain: { esbuild: esbuildVersion, wrangler: packageVersion("wrangler") },
    bundles,
  };
  const digests = join(outDir, "digests.json");
  writeFileSync(digests, `${JSON.stringify(report, null, 2)}\n`);
  utimesSync(digests, FIXED_MTIME, FIXED_MTIME);
  return report;
}

async function bundleWithEsbuild(bundle: BundleSpec, outfile: string): Promise<string[]> {
  const result = await build(esbuildOptions(bundle, REPO_ROOT, outfile));
  return externalImportsOf(result.metafile as Metafile);
}

/** `wrangler deploy --dry-run --outdir` is how production bundles the Worker; only its index.js is kept. */
function bundleWithWrangler(outfile: string): string[] {
  const scratch = mkdtempSync(join(tmpdir(), "cce4long-wrangler-"));
  try {
    execFileSync(
      process.execPath,
      [wranglerBin(), "deploy", "--dry-run", "--outdir", scratch, "--config", "wrangler.toml"],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
        // A fixed environment: nothing from the caller's shell reaches the bundler.
        env: {
          PATH: process.env.PATH ?? "",
          HOME: scratch,
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          WRANGLER_HIDE_BANNER: "true",
          WRANGLER_SEND_METRICS: "false",
          CI: "true",
        },
      },
    );
    cpSync(join(scratch, "index.js"), outfile);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return [];
}

function externalImportsOf(metafile: Metafile): string[] {
  const imports = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((entry) => entry.external && !isBuiltin(entry.path)).map((entry) => entry.path),
  );
  return [...new Set(imports)].sort();
}

/** Maps imported specifiers to their package's locked version and integrity. */
function pinsOf(specifiers: readonly string[]): { externals: ExternalPin[]; absentOptional: string[] } {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; integrity?: string }>;
  };
  const names = [...new Set(specifiers.map(packageNameOf))].sort();
  const externals: ExternalPin[] = [];
  const absentOptional: string[] = [];
  for (const name of names) {
    const locked = lock.packages[`node_modules/${name}`];
    if (locked?.version && locked.integrity)
      externals.push({ name, version: locked.version, integrity: locked.integrity });
    else absentOptional.push(name);
  }
  return { externals, absentOptional };
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** A bundle that names the build machine's folders would differ between machines. */
function refuseAbsolutePaths(bundle: BundleSpec, bytes: Buffer, outDir: string): void {
  const text = bytes.toString("utf8");
  for (const path of [REPO_ROOT, resolve(outDir)]) {
    if (text.includes(path)) throw new Error(`${bundle.name} bundle contains the absolute path ${path}`);
  }
}

function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
    .version;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

/** Compares two builds; returns the names of bundles whose digests differ. */
export function differingBundles(a: BuildReport, b: BuildReport): string[] {
  return a.bundles.filter((bundle, i) => bundle.sha256 !== b.bundles[i]?.sha256).map((bundle) => bundle.name);
}

function print(report: BuildReport): void {
  console.log(`commit ${report.commit}${report.dirty ? " (with uncommitted changes)" : ""}`);
  console.log(`esbuild ${report.toolchain.esbuild}, wrangler ${report.toolchain.wrangler}`);
  for (const bundle of report.bundles)
    console.log(`${bundle.sha256}  ${bundle.file}  (${bundle.bytes} bytes)`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: join(REPO_ROOT, "build", "out") },
      twice: { type: "boolean" },
    },
  });
  const outDir = resolve(values.out ?? "");
  const first = await buildReproducible(outDir);
  print(first);
  console.log(`wrote ${join(outDir, "digests.json")}`);
  if (!values.twice) return 0;
  const second = mkdtempSync(join(tmpdir(), "cce4long-rebuild-"));
  try {
    const again = await buildReproducible(second);
    const differing = differingBundles(first, again);
    if (differing.length > 0) {
      console.error(`NOT reproducible: ${differing.join(", ")} differ between two builds`);
      return 1;
    }
    console.log("reproducible: a second build in another folder gave the same digests");
    return 0;
  } finally {
    rmSync(second, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
