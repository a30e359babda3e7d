/**
 * `cce4long manifest verify`: checks a Result Manifest on the user's machine — its hash and the
 * Privacy Plane's EIP-712 signature offline, with an RPC URL also the signer's on-chain authorization
 * and the "result released" record, and with --outputs the downloaded files' hashes (decrypting them
 * with --result-key). Exits 4 (VERIFICATION_FAILED) with the reason on any mismatch.
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isResultEnvelope, openResultFile } from "@cce4long/enclave-runtime/delivery/result-envelope";
import { Cce4longError } from "@cce4long/protocol";
import type { SignedResultManifest } from "@cce4long/protocol/manifest/result-manifest";
import { manifestInvalid, verifyManifestOffline } from "@cce4long/protocol/manifest/verify-manifest";
import { verifyManifestOnChain } from "@cce4long/protocol/manifest/verify-on-chain";
import type { Command } from "commander";
import { createPublicClient, type Hex, http, isAddress } from "viem";
import type { Output } from "../output";
import { contextFlags } from "./context-options";
import type { CommandGroup } from "./index";

interface VerifyFlags {
  outputs?: string;
  resultKey?: string;
  job?: string;
  fromBlock?: string;
}

export const manifestCommands: CommandGroup = (program: Command, output: () => Output) => {
  const manifest = program.command("manifest").description("verify Result Manifests of released results");

  manifest
    .command("verify")
    .description(
      "verify a Result Manifest: hash and signature offline; with --rpc-url and --hub (global) the signer's " +
        "authorization and the on-chain release record; with --outputs the files",
    )
    .argument("<manifest>", "the manifest JSON file (manifest.json of the results)")
    .option("--outputs <dir>", "folder with the downloaded outputs, by their manifest paths")
    .option(
      "--result-key <file>",
      "your X25519 result private key (64 hex digits) to decrypt and check the outputs",
    )
    .option("--job <jobId>", "the job you expect this manifest to be for")
    .option("--from-block <n>", "first block to search for the hub's events (its deployment block)")
    .action(async (file: string, flags: VerifyFlags, command: Command) => {
      const context = contextFlags(command);
      const rpcUrl = context.rpcUrl ?? process.env.CCE4LONG_RPC_URL;
      const hub = context.hub ?? process.env.CCE4LONG_HUB;
      if (rpcUrl !== undefined && (hub === undefined || !isAddress(hub))) {
        throw new Cce4longError("VALIDATION_FAILED", "--rpc-url needs --hub ADDRESS (the hub you trust)");
      }
      const json = parseJson(await readInput(file, "manifest"), file);
      const offline = await verifyManifestOffline(
        json,
        flags.job === undefined ? {} : { expectedJobId: flags.job },
      );
      const checks = [...offline.checks];
      if (rpcUrl !== undefined && hub !== undefined) {
        const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 1 }) });
        try {
          checks.push(
            ...(await verifyManifestOnChain(offline.manifest, offline.manifestHash, {
              client,
              hub: hub as Hex,
              fromBlock: flags.fromBlock === undefined ? 0n : BigInt(flags.fromBlock),
            })),
          );
        } catch (error) {
          if (error instanceof Cce4longError) throw error;
          throw new Cce4longError("CHAIN_UNREACHABLE", `cannot read the chain at ${rpcUrl}`, {
            cause: error,
          });
        }
      }
      let files: FileResult[] = [];
      if (flags.outputs !== undefined) {
        const key =
          flags.resultKey === undefined ? undefined : await readResultKey(flags.resultKey, offline.manifest);
        files = await checkFiles(offline.manifest, flags.outputs, key);
        checks.push(key === undefined ? "output-files" : "output-files-decrypted");
      }
      const result = {
        verified: true,
        jobId: offline.manifest.jobId,
        datasetId: offline.manifest.datasetId,
        manifestHash: offline.manifestHash,
        signer: offline.manifest.signer,
        onChain: rpcUrl !== undefined,
        checks,
        gate: offline.manifest.gate.decision,
        reviews: offline.manifest.reviews.map((r) => ({ reviewer: r.reviewer, decision: r.decision })),
        files,
      };
      output().result(result, () =>
        [
          `manifest verified: job ${result.jobId}`,
          `  manifest hash  ${result.manifestHash}`,
          `  signed by      ${result.signer}`,
          `  on-chain       ${result.onChain ? "checked (signer authorized, result released with this hash)" : "not checked (give --rpc-url and --hub)"}`,
          `  gate           ${result.gate}${result.reviews.map((r) => `, ${r.decision} by ${r.reviewer}`).join("")}`,
          `  checks         ${checks.join(", ")}`,
          ...files.map((f) => `  ok  ${f.path} (${f.form})`),
        ].join("\n"),
      );
    });
};

interface FileResult {
  path: string;
  form: "encrypted" | "decrypted" | "plaintext";
}

async function checkFiles(
  manifest: SignedResultManifest,
  dir: string,
  key: Uint8Array | undefined,
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const entry of manifest.outputs) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(dir, entry.path)));
    } catch {
      throw manifestInvalid(`output ${entry.path} is missing from ${dir}`);
    }
    if (isResultEnvelope(bytes)) {
      if (sha256(bytes) !== entry.sha256 || bytes.length !== entry.size) {
        throw manifestInvalid(`output ${entry.path} does not match its hash in the manifest`);
      }
      if (key === undefined) {
        results.push({ path: entry.path, form: "encrypted" });
        continue;
      }
      let plain: Uint8Array;
      try {
        plain = await openResultFile(
          key,
          { jobId: manifest.jobId, datasetId: manifest.datasetId, path: entry.path },
          bytes,
        );
      } catch {
        throw manifestInvalid(`output ${entry.path} cannot be decrypted with the result key`);
      }
      if (sha256(plain) !== entry.plaintextSha256) {
        throw manifestInvalid(`output ${entry.path} decrypts to content other than the manifest lists`);
      }
      results.push({ path: entry.path, form: "decrypted" });
    } else {
      if (sha256(bytes) !== entry.plaintextSha256 || bytes.length !== entry.plaintextSize) {
        throw manifestInvalid(`output ${entry.path} does not match its hash in the manifest`);
      }
      results.push({ path: entry.path, form: "plaintext" });
    }
  }
  return results;
}

/** The result private key file: 32 bytes as hex (optionally 0x); must match the manifest's public key. */
export async function readResultKey(file: string, manifest: SignedResultManifest): Promise<Uint8Array> {
  const text = (await readInput(file, "result key")).toString("utf8").trim().replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `the result key file ${file} must hold 64 hex digits (an X25519 private key)`,
    );
  }
  const key = new Uint8Array(Buffer.from(text, "hex"));
  const der = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), key]);
  const publicKey = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }))
    .export({ format: "der", type: "spki" })
    .subarray(12);
  der.fill(0);
  if (`0x${publicKey.toString("hex")}` !== manifest.resultPublicKey) {
    throw manifestInvalid("the result key is not the one this job's results were encrypted to");
  }
  return key;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Cce4longError("BAD_REQUEST", `cannot read the ${what} file ${path}`, { cause: error });
  }
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new Cce4longError("VALIDATION_FAILED", `the manifest file ${path} is not JSON`, { cause: error });
  }
}
