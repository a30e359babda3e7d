/**
 * `cce4long dataset set-policy` and `cce4long dataset policy` (runs on the user's machine): the provider
 * signs and stores the dataset's Output Gate or Explore sample policy; anyone shows the effective policy
 * and whether the stored document is signed by the dataset's current provider.
 */
import { readFileSync } from "node:fs";
import { Cce4longError, isCce4longError, POLICY_KINDS, type PolicyKind } from "@cce4long/protocol";
import type { Command } from "commander";
import type { Address, Hex } from "viem";
import { resolveEndpoints, resolveWallet } from "../context";
import type { Output } from "../output";
import { ApiClient } from "../sdk/api-client";
import { createHubClient } from "../sdk/hub-client";
import {
  fetchDatasetPolicy,
  inspectDatasetPolicy,
  type PolicyInspection,
  putDatasetPolicy,
  signDatasetPolicy,
  validatePolicy,
} from "../sdk/policies";
import { contextFlags } from "./context-options";

function kindArg(value: string): PolicyKind {
  if (!(POLICY_KINDS as readonly string[]).includes(value))
    throw new Cce4longError("VALIDATION_FAILED", `--kind must be one of ${POLICY_KINDS.join(", ")}`);
  return value as PolicyKind;
}

function readPolicyFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Cce4longError("VALIDATION_FAILED", `cannot read the policy file: ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Cce4longError("VALIDATION_FAILED", `the policy file is not JSON: ${file}`);
  }
}

function describe(i: PolicyInspection): string {
  const head =
    i.source === "provider"
      ? `${i.kind}: provider policy version ${i.version}, signed by ${i.signer} at ${i.issuedAt} (signature valid)`
      : i.version === null
        ? `${i.kind}: no policy set, the defaults apply`
        : `${i.kind}: stored version ${i.version} is NOT applied (${i.reason}); the defaults apply`;
  return `${head}\n${JSON.stringify(i.policy, null, 2)}`;
}

export function addPolicyCommands(
  dataset: Command,
  output: () => Output,
  datasetIdArg: (value: string) => Hex,
): void {
  dataset
    .command("set-policy")
    .description("sign and set the dataset's Output Gate or Explore sample policy (provider)")
    .argument("<datasetId>")
    .requiredOption("--kind <kind>", `policy kind: ${POLICY_KINDS.join(" | ")}`)
    .requiredOption("--file <policy.json>", "the policy as JSON; omitted fields take the defaults")
    .option("--version <n>", "the policy version to sign (default: the stored version + 1)")
    .action(async (id: string, opts: { kind: string; file: string; version?: string }, cmd: Command) => {
      const datasetId = datasetIdArg(id);
      const kind = kindArg(opts.kind);
      const policy = validatePolicy(kind, readPolicyFile(opts.file));
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const account = resolveWallet(contextFlags(cmd), endpoints);
      const api = new ApiClient({ baseUrl: endpoints.api });
      let version: number;
      if (opts.version !== undefined) {
        version = Number(opts.version);
        if (!Number.isSafeInteger(version) || version < 1)
          throw new Cce4longError("VALIDATION_FAILED", "--version must be a positive integer");
      } else {
        version = ((await fetchDatasetPolicy(api, datasetId, kind))?.version ?? 0) + 1;
      }
      const request = await signDatasetPolicy(account, {
        chainId: endpoints.chainId,
        hub: endpoints.hub,
        datasetId,
        kind,
        policy,
        version,
      });
      await api.signIn(account, { chainId: endpoints.chainId, role: { kind: "provider", datasetId } });
      const document = await putDatasetPolicy(api, datasetId, kind, request);
      output().result(document, () => `${kind} policy version ${document.version} set on ${datasetId}`);
    });

  dataset
    .command("policy")
    .description("show the dataset's effective policies and whether their signatures check out")
    .argument("<datasetId>")
    .option("--kind <kind>", `only this kind: ${POLICY_KINDS.join(" | ")}`)
    .action(async (id: string, opts: { kind?: string }, cmd: Command) => {
      const datasetId = datasetIdArg(id);
      const kinds = opts.kind === undefined ? [...POLICY_KINDS] : [kindArg(opts.kind)];
      const endpoints = resolveEndpoints(contextFlags(cmd));
      const api = new ApiClient({ baseUrl: endpoints.api });
      const hub = createHubClient(endpoints);
      const providerOf = async (dataset: Hex): Promise<Address | null> => {
        try {
          return (await hub.getDataset(dataset)).provider;
        } catch (error) {
          if (isCce4longError(error) && error.code === "CHAIN_REVERTED") return null;
          throw error;
        }
      };
      const inspections: PolicyInspection[] = [];
      for (const kind of kinds) {
        inspections.push(
          await inspectDatasetPolicy({
            api,
            providerOf,
            chainId: endpoints.chainId,
            hub: endpoints.hub,
            datasetId,
            kind,
          }),
        );
      }
      output().result({ datasetId, policies: inspections }, () => inspections.map(describe).join("\n\n"));
    });
}
