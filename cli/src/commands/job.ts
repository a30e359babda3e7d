/**
 * `cce4long job ...` (runs on the user's machine): a consumer requests a Privacy Mode job on-chain
 * and submits it, watches it, and fetches, decrypts and verifies its released result.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isResultEnvelope, openResultFile } from "@cce4long/enclave-runtime/delivery/result-envelope";
import { Cce4longError, type JobResult } from "@cce4long/protocol";
import type { SignedResultManifest } from "@cce4long/protocol/manifest/result-manifest";
import type { Command } from "commander";
import type { Hex } from "viem";
import { run as runCli } from "../main";
import type { Output } from "../output";
import { FINAL_STATUSES, jobStatusName, publishSpec, requestAndSubmitJob, waitForJob } from "../sdk/jobs";
import type { CommandGroup } from "./index";
import { readResultKey } from "./manifest";
import { signedIn } from "./signed-in";

const BYTES32 = /^0x[0-9a-f]{64}$/;

function bytes32Arg(value: string, what: string): Hex {
  if (!BYTES32.test(value))
    throw new Cce4longError("VALIDATION_FAILED", `not a ${what} (0x + 64 lowercase hex): ${value}`);
  return value as Hex;
}

function readSpec(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (cause) {
    throw new Cce4longError("VALIDATION_FAILED", `cannot read the job spec ${file} as JSON`, { cause });
  }
}

export const jobCommands: CommandGroup = (program: Command, output: () => Output) => {
  const job = program.command("job").description("run Privacy Mode jobs and fetch their results (consumer)");

  job
    .command("request")
    .description("publish a job spec, request the job on-chain with a fresh result key, and submit it")
    .argument("<datasetId>")
    .requiredOption("--spec <file>", "the job spec (job.json)")
    .requiredOption("--result-key-out <file>", "where to write your result private key (created, mode 0600)")
    .action(async (dataset: string, opts: { spec: string; resultKeyOut: string }, cmd: Command) => {
      const datasetId = bytes32Arg(dataset, "dataset id");
      const spec = readSpec(opts.spec);
      const session = await signedIn(cmd);
      const published = await publishSpec(session.api, spec);
      const { jobId } = await requestAndSubmitJob({
        ...session,
        datasetId,
        published,
        resultKeyFile: opts.resultKeyOut,
      });
      const result = {
        jobId,
        specCommitment: published.specCommitment,
        resultKeyFile: resolve(opts.resultKeyOut),
      };
      output().result(
        result,
        () => `job ${jobId} requested and submitted\n  result key in ${result.resultKeyFile} (keep it)`,
      );
    });

  job
    .command("status")
    .description("show a job: on-chain lifecycle and what the Privacy Plane reports")
    .argument("<jobId>")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const session = await signedIn(cmd);
      const status = await session.api.request<Record<string, unknown>>(
        "GET",
        `/v1/jobs/${bytes32Arg(id, "job id")}`,
      );
      output().result(status, () => JSON.stringify(status, null, 2));
    });

  job
    .command("watch")
    .description("follow a job's on-chain status until it ends (released, rejected, failed, cancelled)")
    .argument("<jobId>")
    .option("--timeout <seconds>", "give up after this long", "900")
    .action(async (id: string, opts: { timeout: string }, cmd: Command) => {
      const out = output();
      const jobId = bytes32Arg(id, "job id");
      const session = await signedIn(cmd);
      const status = await waitForJob(session.hub, jobId, {
        until: FINAL_STATUSES,
        timeoutMs: Number(opts.timeout) * 1000,
        onChange: (s) => out.info(`  ${new Date().toISOString()}  ${jobStatusName(s)}`),
      });
      out.result({ jobId, status: jobStatusName(status) }, () => `job ${jobId}: ${jobStatusName(status)}`);
    });

  job
    .command("result")
    .description("download a released result, decrypt it with your result key and verify its manifest")
    .argument("<jobId>")
    .requiredOption("--out <dir>", "folder for the manifest and the decrypted outputs")
    .requiredOption("--result-key <file>", "your result private key (from job request)")
    .action(async (id: string, opts: { out: string; resultKey: string }, cmd: Command) => {
      const jobId = bytes32Arg(id, "job id");
      const session = await signedIn(cmd);
      const result = await session.api.request<JobResult>("GET", `/v1/jobs/${jobId}/result`);
      const encrypted = join(opts.out, "encrypted");
      mkdirSync(encrypted, { recursive: true });
      const manifestFile = join(opts.out, "manifest.json");
      writeFileSync(manifestFile, JSON.stringify(result.manifest, null, 2));
      for (const file of result.downloads) {
        const response = await fetch(file.url);
        if (!response.ok)
          throw new Cce4longError("UNAVAILABLE", `download of ${file.path} failed (HTTP ${response.status})`);
        const target = join(encrypted, file.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, Buffer.from(await response.arrayBuffer()));
      }
      // The same check anyone can run later: `cce4long manifest verify`.
      const code = await runCli([
        ...(output().json ? ["--json"] : []),
        "--rpc-url",
        session.endpoints.rpcUrl,
        "--hub",
        session.endpoints.hub,
        "manifest",
        "verify",
        manifestFile,
        "--outputs",
        encrypted,
        "--result-key",
        opts.resultKey,
        "--job",
        jobId,
      ]);
      if (code !== 0)
        throw new Cce4longError("MANIFEST_INVALID", "the result did not verify (see above)", {
          detail: { reported: true },
        });
      // Verified: now write the plaintext outputs for the researcher.
      const manifest = result.manifest as unknown as SignedResultManifest;
      const key = await readResultKey(opts.resultKey, manifest);
      const written: string[] = [];
      try {
        for (const entry of manifest.outputs) {
          const sealed = new Uint8Array(readFileSync(join(encrypted, entry.path)));
          const plain = isResultEnvelope(sealed)
            ? await openResultFile(
                key,
                { jobId: manifest.jobId, datasetId: manifest.datasetId, path: entry.path },
                sealed,
              )
            : sealed;
          const target = join(opts.out, "outputs", entry.path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, plain);
          written.push(target);
        }
      } finally {
        key.fill(0);
      }
      output().info(`decrypted ${written.length} outputs into ${join(opts.out, "outputs")}`);
    });
};
