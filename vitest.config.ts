/**
 * The whole test suite (`npm test`): Node unit tests beside the code, Worker tests inside workerd,
 * and integration tests against the real local services that test/setup starts on free ports.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: [
            "{protocol,sealing,enclave-runtime,cvm-image,contracts,cli,platform}/{src,test}/**/*.test.ts",
            "bench/**/*.test.ts",
            "build/**/*.test.ts",
            "examples/**/*.test.ts",
            "cvm-image/packer/**/*.test.ts",
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Test-only secrets (wrangler dev reads .dev.vars; production uses `wrangler secret put`).
            miniflare: {
              bindings: {
                TOKEN_SECRET: "test-only-token-secret-0123456789abcdef0123456789",
                OBJECT_STORE_ACCESS_KEY_ID: "S3RVER",
                OBJECT_STORE_SECRET_ACCESS_KEY: "S3RVER",
                // Route tests read the (fake) chain on every request; edge-cache.test.ts turns it on.
                CATALOGUE_CACHE_SECONDS: "0",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["functions/{src,test}/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          environment: "node",
          include: ["test/{integration,e2e}/**/*.test.ts"],
          globalSetup: ["test/setup/local-stack.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
