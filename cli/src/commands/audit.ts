/**
 * `cce4long [--rpc-url URL --hub ADDRESS] audit DATASET`: the full on-chain history of a dataset, each job linked to its algorithm
 * record and Result Manifest, and every check that can be run from public data (runs on an auditor's or
 * user's machine; needs only an RPC URL and, for the checks, the public records).
 * Exit 0: every available check passed; 4: a check failed; 6: no such dataset; 7: chain unreachable.
 */
import { readFileSync } from "node:fs";
import { objectStoreDataAvailability } from "@cce4long/enclave-runtime/algorithms/object-store-da";
import { S3ObjectStore } from "@cce4long/enclave-runtime/ingest/object-store";
import { fileLogStore } from "@cce4long/enclave-runtime/transparency/file-log-store";
import { Cce4longError, parseDeployment } from "@cce4long/protocol";
import type { DataAvailability } from "@cce4long/protocol/algorithms/data-availability";
import { TransparencyLog } from "@cce4long/protocol/transparency/log";
import type { Command } from "commander";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { type Output, table } from "../output";
import { type AuditCheck, auditDataset, type DatasetAuditReport } from "../sdk/audit/dataset-audit";
import { directoryDataAvailability } from "../sdk/audit/directory-da";
import { contextFlags } from "./context-options";
import type { CommandGroup } from "./index";

interface AuditFlags {
  rpcUrl?: string;
  hub?: string;
  fromBlock?: string;
  deployment?: string;
  algorithms?: string;
  objectStore?: string;
  transparencyLog?: string;
  manifests?: string;
}

export const auditCommands: CommandGroup = (program: Command, output: () => Output) => {
  program
    .command("audit")
    .description(
      "print a dataset's full on-chain history and check its algorithms, measurements and manifests",
    )
    .argument("<dataset>", "the dataset id (bytes32, 0x and 64 hex digits)")
    .option("--from-block <n>", "first block to read (default: the deployment's block, else 0)")
    .option("--deployment <file>", "a deployment file (contracts/scripts/deploy.ts) naming hub and block")
    .option("--algorithms <dir>", "a folder mirroring the public algorithms bucket (the DA layer)")
    .option(
      "--object-store <url>",
      "the S3 endpoint of the algorithms bucket (keys from CCE4LONG_OBJECT_STORE_ACCESS_KEY_ID/_SECRET_ACCESS_KEY)",
    )
    .option("--transparency-log <file>", "the transparency log (one canonical entry per line)")
    .option("--manifests <dir>", "a folder of signed Result Manifest JSON files")
    .action(async (dataset: string, own: AuditFlags, command: Command) => {
      // --rpc-url and --hub are the global context options (context-options.ts).
      const context = contextFlags(command);
      const flags: AuditFlags = { ...own, rpcUrl: context.rpcUrl, hub: context.hub };
      if (!/^0x[0-9a-fA-F]{64}$/.test(dataset)) {
        throw new Cce4longError(
          "VALIDATION_FAILED",
          "DATASET must be a bytes32 dataset id: 0x and 64 hex digits",
        );
      }
      const target = resolveTarget(flags);
      const report = await auditDataset({
        client: createPublicClient({ transport: http(target.rpcUrl, { retryCount: 0, timeout: 15_000 }) }),
        hub: target.hub,
        datasetId: dataset.toLowerCase() as Hex,
        fromBlock: target.fromBlock,
        da: dataAvailability(flags),
        transparencyLog: flags.transparencyLog
          ? await TransparencyLog.open(fileLogStore(flags.transparencyLog))
          : undefined,
        manifestsDir: flags.manifests,
      });
      output().result(report, () => render(report));
      const failed = report.checks.filter((check) => check.status === "failed");
      if (failed.length > 0) {
        throw new Cce4longError(
          "AUDIT_CHECK_FAILED",
          `${failed.length} check${failed.length === 1 ? "" : "s"} failed: ${failed.map(describe).join("; ")}`,
          // The report (with the failed checks) is already on stdout: with --json it must stay one document.
          { detail: { reported: true } },
        );
      }
    });
};

function resolveTarget(flags: AuditFlags): { rpcUrl: string; hub: Address; fromBlock: bigint } {
  let deployment: { hub: Address; deployedBlock: number } | undefined;
  if (flags.deployment) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(flags.deployment, "utf8"));
    } catch (cause) {
      throw new Cce4longError("BAD_REQUEST", `cannot read the deployment file ${flags.deployment}`, {
        cause,
      });
    }
    const parsed = parseDeployment(json);
    deployment = { hub: parsed.contracts.hub.address, deployedBlock: parsed.contracts.hub.deployedBlock };
  }
  const rpcUrl = flags.rpcUrl ?? process.env.CCE4LONG_RPC_URL;
  const hub = flags.hub ?? process.env.CCE4LONG_HUB ?? deployment?.hub;
  if (!rpcUrl || !hub) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      "audit needs the chain: pass --rpc-url and --hub (or --deployment FILE, or CCE4LONG_RPC_URL and CCE4LONG_HUB)",
    );
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(hub))
    throw new Cce4longError("VALIDATION_FAILED", `--hub is not an address: ${hub}`);
  const fromBlock = flags.fromBlock ?? String(deployment?.deployedBlock ?? 0);
  if (!/^\d+$/.test(fromBlock))
    throw new Cce4longError("VALIDATION_FAILED", "--from-block must be a block number");
  return { rpcUrl, hub: hub as Address, fromBlock: BigInt(fromBlock) };
}

function dataAvailability(flags: AuditFlags): DataAvailability | undefined {
  if (flags.algorithms) return directoryDataAvailability(flags.algorithms);
  if (!flags.objectStore) return undefined;
  const accessKeyId = process.env.CCE4LONG_OBJECT_STORE_ACCESS_KEY_ID;
  const secretAccessKey = process.env.CCE4LONG_OBJECT_STORE_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      "--object-store needs CCE4LONG_OBJECT_STORE_ACCESS_KEY_ID and CCE4LONG_OBJECT_STORE_SECRET_ACCESS_KEY",
    );
  }
  const region = process.env.CCE4LONG_OBJECT_STORE_REGION ?? "us-east-1";
  return objectStoreDataAvailability(
    new S3ObjectStore({ endpoint: flags.objectStore, region, accessKeyId, secretAccessKey }),
  );
}

function describe(check: AuditCheck): string {
  return `job ${short(check.jobId)} ${check.kind}: ${check.detail}`;
}

function render(report: DatasetAuditReport): string {
  const events = table(
    ["block", "event", "details"],
    report.events.map((event) => [String(event.block), event.event, details(event.args)]),
  );
  const jobs = report.jobs.map((job) =>
    [
      `job ${job.jobId} (${job.lastEvent})`,
      `  image            ${job.imageDigest ?? "-"}`,
      `  spec commitment  ${job.specCommitment ?? "-"}`,
      `  algorithm record ${job.links.algorithmRecord ?? "-"}`,
      `  measurements     ${job.measurementIds.join(", ") || "-"}`,
      `  result manifest  ${job.resultManifestHash ?? "-"}${job.links.resultManifest ? ` (${job.links.resultManifest})` : ""}`,
    ].join("\n"),
  );
  const checks = table(
    ["check", "job", "status", "detail"],
    report.checks.map((check) => [check.kind, short(check.jobId), check.status, check.detail]),
  );
  const failed = report.checks.filter((check) => check.status === "failed").length;
  return [
    `dataset ${report.datasetId} at hub ${report.hub} (from block ${report.fromBlock})`,
    "",
    events,
    "",
    ...(jobs.length ? [jobs.join("\n\n"), ""] : []),
    report.checks.length ? checks : "no checks (no jobs)",
    "",
    failed === 0 ? "audit: every available check passed" : `audit: ${failed} check(s) FAILED`,
  ].join("\n");
}

function details(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === "string" && /^0x[0-9a-f]{64}$/i.test(value) ? short(value) : stringify(value)}`,
    )
    .join(" ");
}

function stringify(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}:${stringify(v)}`)
      .join(",")}}`;
  }
  return String(value);
}

function short(hex: string): string {
  return hex.length > 18 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex;
}
