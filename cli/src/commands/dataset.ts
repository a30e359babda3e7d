/**
 * `cce4long dataset ...` and `cce4long rent` (runs on the user's machine): a provider registers and
 * manages datasets on-chain; anyone browses the catalogue through the API; a consumer rents.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createQuoteVerifier } from "@cce4long/enclave-runtime/attestation/create-quote-verifier";
import { CollateralCache } from "@cce4long/enclave-runtime/attestation/tdx/collateral-cache";
import {
  Cce4longError,
  type DatasetDetail,
  imageDigestBytes32,
  type ListDatasetsResponse,
} from "@cce4long/protocol";
import type { Command } from "commander";
import { type Address, formatEther, type Hex, isAddress, keccak256, parseEther, toHex } from "viem";
import { resolveEndpoints, resolveWallet } from "../context";
import type { Output } from "../output";
import { table } from "../output";
import { ApiClient } from "../sdk/api-client";
import { createHubClient } from "../sdk/hub-client";
import { uploadDataset } from "../sdk/upload";
import { contextFlags } from "./context-options";
import { addPolicyCommands } from "./dataset-policy";
import type { CommandGroup } from "./index";

const DATASET_ID = /^0x[0-9a-f]{64}$/;

function datasetIdArg(value: string): Hex {
  if (!DATASET_ID.test(value))
    throw new Cce4longError("VALIDATION_FAILED", `not a dataset id (0x + 64 lowercase hex): ${value}`);
  return value as Hex;
}

function addresses(values: readonly string[]): Address[] {
  for (const v of values)
    if (!isAddress(v)) throw new Cce4longError("VALIDATION_FAILED", `not an address: ${v}`);
  return values as Address[];
}

/** The dataset's public description, inlined as a data: URI whose keccak256 is the on-chain metadata hash. */
export function metadataDocument(name: string, description: string): { uri: string; hash: Hex } {
  const json = JSON.stringify({ name, description });
  return {
    uri: `data:application/json;base64,${Buffer.from(json).toString("base64")}`,
    hash: keccak256(toHex(json)),
  };
}

function nameOf(uri: string | undefined): string {
  if (!uri?.startsWith("data:application/json;base64,")) return "";
  try {
    return (
      (JSON.parse(Buffer.from(uri.slice(29), "base64").toString("utf8")) as { name?: string }).name ?? ""
    );
  } catch {
    return "";
  }
}

export const datasetCommands: CommandGroup = (program: Command, output: () => Output) => {
  const dataset = program.command("dataset").description("register, browse and manage datasets");

  dataset
    .command("register")
    .description("register a dataset on-chain (provider)")
    .requiredOption("--name <name>", "short public name")
    .option("--description <text>", "public description", "")
    .requiredOption("--price <eth>", "price of one rental period, in ETH")
    .option("--period-days <days>", "length of one rental period in days", "30")
    .option("--reviewer <address...>", "reviewer addresses for the Output Gate", [])
    .option("--explore", "offer Explore Mode on desensitized samples", false)
    .option("--free-preview", "let anyone explore the sample without renting", false)
    .action(
      async (
        opts: {
          name: string;
          description: string;
          price: string;
          periodDays: string;
          reviewer: string[];
          explore: boolean;
          freePreview: boolean;
        },
        cmd: Command,
      ) => {
        const out = output();
        const periodDays = Number(opts.periodDays);
        if (!Number.isFinite(periodDays) || periodDays <= 0)
          throw new Cce4longError("VALIDATION_FAILED", "--period-days must be a positive number");
        let price: bigint;
        try {
          price = parseEther(opts.price);
        } catch {
          throw new Cce4longError("VALIDATION_FAILED", `--price is not an ETH amount: ${opts.price}`);
        }
        const endpoints = resolveEndpoints(contextFlags(cmd));
        const hub = createHubClient(endpoints, resolveWallet(contextFlags(cmd), endpoints));
        const metadata = metadataDocument(opts.name, opts.description);
        const result = await hub.registerDataset({
          metadataHash: metadata.hash,
          metadataUri: metadata.uri,
          terms: {
            pricePerPeriod: price,
            periodSeconds: Math.round(periodDays * 86_400),
            exploreOffered: opts.explore,
            freePreview: opts.freePreview,
          },
          reviewers: addresses(opts.reviewer),
        });
        out.result(result, () => `registered dataset ${result.datasetId}\n  transaction ${result.tx}`);
      },
    );

  dataset
    .command("list")
    .description("list the catalogue")
    .option("--provider <address>", "only this provider's datasets")
    .action(async (opts: { provider?: string }, cmd: Command) => {
      const api = new ApiClient({ baseUrl: resolveEndpoints(contextFlags(cmd)).api });
      const query = opts.provider ? `?provider=${encodeURIComponent(opts.provider)}` : "";
      const page = await api.request<ListDatasetsResponse>("GET", `/v1/datasets${query}`);
      output().result(page, () =>
        page.datasets.length === 0
          ? "no datasets"
          : table(
              ["dataset", "name", "price/period (ETH)", "versions", "explore"],
              page.datasets.map((d) => [
                d.datasetId,
                nameOf(d.metadataUri),
                formatEther(BigInt(d.terms.pricePerPeriodWei)),
                String(d.versionCount),
                d.terms.exploreOffered ? "yes" : "no",
              ]),
            ),
      );
    });

  dataset
    .command("show")
    .description("show one dataset")
    .argument("<datasetId>", "dataset id (bytes32 hex)")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const api = new ApiClient({ baseUrl: resolveEndpoints(contextFlags(cmd)).api });
      const d = await api.request<DatasetDetail>("GET", `/v1/datasets/${datasetIdArg(id)}`);
      output().result(d, () => JSON.stringify(d, null, 2));
    });

  dataset
    .command("upload")
    .description("upload files end-to-end encrypted to the attested Privacy Plane (provider)")
    .argument("<datasetId>")
    .argument("<files...>", "local files; each appears under /data by its file name")
    .option(
      "--wait <seconds>",
      "wait this long for the version to be committed on-chain (0: do not wait)",
      "600",
    )
    .action(async (id: string, files: string[], opts: { wait: string }, cmd: Command) => {
      const out = output();
      const datasetId = datasetIdArg(id);
      for (const file of files)
        if (!existsSync(file)) throw new Cce4longError("VALIDATION_FAILED", `no such file: ${file}`);
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const account = resolveWallet(contextFlags(cmd), endpoints);
      const api = new ApiClient({ baseUrl: endpoints.api });
      await api.signIn(account, { chainId: endpoints.chainId, role: { kind: "provider", datasetId } });
      const progress = new Map<string, number>();
      const status = await uploadDataset({
        api,
        provider: account,
        chainId: endpoints.chainId,
        hub: endpoints.hub,
        datasetId,
        files: files.map((source) => ({ path: basename(source), source })),
        // Production Privacy Planes present TDX quotes; the development one a clearly marked dev quote.
        verifier: createQuoteVerifier({
          deployment: endpoints.chainId === 31337 ? "development" : "production",
          tdx: { collateral: new CollateralCache() },
        }),
        stateFile: join(tmpdir(), `cce4long-upload-${datasetId.slice(2, 18)}.json`),
        waitMs: Number(opts.wait) * 1000,
        onProgress: ({ file, uploadedBytes, totalBytes }) => {
          const pct = Math.floor((uploadedBytes / Math.max(1, totalBytes)) * 100);
          if (progress.get(file) !== pct) {
            progress.set(file, pct);
            out.info(`  ${file}: ${pct}% of ${(totalBytes / 1e6).toFixed(1)} MB`);
          }
        },
      });
      out.result(status, () => `upload ${JSON.stringify(status)}`);
    });

  dataset
    .command("allow-image")
    .description("allow an algorithm image (by digest) to run on your dataset (provider)")
    .argument("<datasetId>")
    .argument("<imageDigest>", "sha256:<64 hex>")
    .action(async (id: string, digest: string, _opts: unknown, cmd: Command) => {
      if (!/^sha256:[0-9a-f]{64}$/.test(digest))
        throw new Cce4longError("VALIDATION_FAILED", "the image digest must be sha256:<64 hex>");
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const hub = createHubClient(endpoints, resolveWallet(contextFlags(cmd), endpoints));
      const tx = await hub.allowImageDigest(datasetIdArg(id), imageDigestBytes32(digest));
      output().result({ tx }, () => `image ${digest} allowed on the dataset (transaction ${tx})`);
    });

  dataset
    .command("set-reviewers")
    .description("replace the dataset's reviewers (provider)")
    .argument("<datasetId>")
    .argument("<addresses...>")
    .action(async (id: string, reviewers: string[], _opts: unknown, cmd: Command) => {
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const hub = createHubClient(endpoints, resolveWallet(contextFlags(cmd), endpoints));
      const tx = await hub.setReviewers(datasetIdArg(id), addresses(reviewers));
      output().result({ tx }, () => `reviewers set (transaction ${tx})`);
    });

  addPolicyCommands(dataset, output, datasetIdArg);

  dataset
    .command("retire")
    .description("retire a dataset: no new rentals; running rentals run to their end (provider)")
    .argument("<datasetId>")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const hub = createHubClient(endpoints, resolveWallet(contextFlags(cmd), endpoints));
      const tx = await hub.retireDataset(datasetIdArg(id));
      output().result({ tx }, () => `dataset retired (transaction ${tx})`);
    });

  program
    .command("rent")
    .description("rent a dataset for N periods, paying its price on-chain (consumer)")
    .argument("<datasetId>")
    .option("--periods <n>", "number of rental periods", "1")
    .action(async (id: string, opts: { periods: string }, cmd: Command) => {
      const periods = Number(opts.periods);
      if (!Number.isInteger(periods) || periods < 1)
        throw new Cce4longError("VALIDATION_FAILED", "--periods must be a positive integer");
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const hub = createHubClient(endpoints, resolveWallet(contextFlags(cmd), endpoints));
      const r = await hub.rent(datasetIdArg(id), periods);
      output().result(
        r,
        () =>
          `rented until ${new Date(Number(r.expiresAt) * 1000).toISOString()} for ${formatEther(r.paid)} ETH (transaction ${r.tx})`,
      );
    });

  program
    .command("withdraw")
    .description("withdraw your earnings as a provider")
    .action(async (_opts: unknown, cmd: Command) => {
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const account = resolveWallet(contextFlags(cmd), endpoints);
      const hub = createHubClient(endpoints, account);
      const amount = await hub.earningsOf(account.address);
      if (amount === 0n) throw new Cce4longError("CONFLICT", "nothing to withdraw");
      const tx = await hub.withdrawEarnings();
      output().result({ amount, tx }, () => `withdrew ${formatEther(amount)} ETH (transaction ${tx})`);
    });
};
