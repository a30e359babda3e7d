/**
 * What the reproducible build produces (developer machine, CI, auditors): the bundles that hold or
 * touch keys or requests (the Privacy Plane's gate scan worker is a bundle of its own), each from one
 * entry file, with the esbuild settings that make them
 * byte-for-byte reproducible. See build/README.md for why each external is not bundled.
 */
import type { BuildOptions } from "esbuild";

export interface BundleSpec {
  name: "boot-agent" | "privacy-plane" | "worker" | "gate-scan-worker";
  entry: string;
  /** Output file, relative to the output folder. */
  file: string;
  /** esbuild bundles the two Node services; the Worker goes through wrangler, as production deploys it. */
  bundler: "esbuild" | "wrangler";
  /** Packages left out of the bundle; installed by `npm ci`, pinned by package-lock.json integrity. */
  external: string[];
}

export const BUNDLES: readonly BundleSpec[] = [
  {
    name: "boot-agent",
    entry: "cvm-image/src/agent/main.ts",
    file: "boot-agent.mjs",
    bundler: "esbuild",
    // A native addon (C++ against libfuse2): cannot be inlined into JavaScript.
    external: ["fuse-native"],
  },
  {
    name: "privacy-plane",
    entry: "enclave-runtime/src/main.ts",
    file: "privacy-plane.mjs",
    bundler: "esbuild",
    // fuse-native: native addon. The Google Cloud clients load .proto/.json files from their own
    // package folders at run time (google-gax: __dirname/../../build/protos), so they stay packages.
    external: ["fuse-native", "@google-cloud/*", "google-gax", "@grpc/*"],
  },
  {
    name: "worker",
    entry: "functions/src/index.ts",
    file: "worker/index.js",
    bundler: "wrangler",
    external: [],
  },
  {
    // The Privacy Plane's Output Gate scan worker thread: privacy-plane.mjs starts it from its own
    // folder (enclave-runtime/src/gate/parallel-scan/worker-pool.ts), so it ships beside it.
    name: "gate-scan-worker",
    entry: "enclave-runtime/src/gate/parallel-scan/scan-worker.ts",
    file: "gate-scan-worker.mjs",
    bundler: "esbuild",
    external: [],
  },
];

/** An ESM bundle still meets CommonJS dependencies that call require(): give them one. */
const REQUIRE_SHIM =
  'import { createRequire as __cce4longCreateRequire } from "node:module";\n' +
  "const require = __cce4longCreateRequire(import.meta.url);";

/**
 * Settings that make esbuild's output a function of the sources only: no source maps (they hold
 * paths), no minifier, nothing read from the environment, paths relative to
 * the repository root, and a fixed target instead of "whatever Node runs the build".
 */
export function esbuildOptions(bundle: BundleSpec, repoRoot: string, outfile: string): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: [bundle.entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    external: bundle.external,
    banner: { js: REQUIRE_SHIM },
    sourcemap: false,
    minify: false,
    legalComments: "eof",
    charset: "utf8",
    metafile: true,
    logLevel: "silent",
    write: true,
  };
}
