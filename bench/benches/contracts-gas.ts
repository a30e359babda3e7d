/**
 * Gas per hub operation (`npm run bench -- contracts-gas`, developer machine): starts its own anvil,
 * deploys the hub, runs one dataset through every operation and one job through its whole lifecycle.
 * Reference: a plain ETH transfer measured in the same run (21,000). Goal: each lifecycle record
 * costs at most 40,000 gas above that base, i.e. at most 61,000 in total.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployContracts } from "@cce4long/contracts/deploy";
import { ANVIL_ACCOUNT0_KEY, type LocalRole, localAccount } from "@cce4long/contracts/local-accounts";
import { freePort } from "@cce4long/platform/ports";
import { startAnvil } from "@cce4long/platform/services/anvil";
import { cce4longHubAbi, datasetIdOf, jobIdOf, OutputDecision } from "@cce4long/protocol/chain/index";
import { type Address, createPublicClient, createWalletClient, type Hex, http, keccak256, toHex } from "viem";
import { anvil as anvilChain } from "viem/chains";
import type { Benchmark, Goal, Measurement } from "../types";

const RECORD_BUDGET = 61_000;
const LIFECYCLE_RECORDS = [
  "recordJobDispatched",
  "recordJobKeyReleased",
  "recordJobOutputsSubmitted",
  "recordJobOutputDecision",
  "recordJobResultReleased",
] as const;

const id = (label: string): Hex => keccak256(toHex(label));

const contractsGas: Benchmark = {
  name: "contracts-gas",
  description: "Gas of each hub operation and of a whole job lifecycle, against a plain ETH transfer",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "cce4long-bench-gas-"));
    const anvil = await startAnvil({ port: await freePort(), logFile: join(dir, "anvil.log") });
    try {
      const transport = http(anvil.rpcUrl);
      const publicClient = createPublicClient({ chain: anvilChain, transport, pollingInterval: 20 });
      const deployment = await deployContracts({
        rpcUrl: anvil.rpcUrl,
        deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
        outFile: join(dir, "deployment.json"),
        privacyPlaneSigners: [localAccount("privacyPlaneSigner").address],
      });
      const hub = deployment.contracts.hub.address;
      const wallet = (role: LocalRole) =>
        createWalletClient({
          account: localAccount(role),
          chain: anvilChain,
          transport,
          pollingInterval: 20,
        });
      const gasOf = async (hash: Hex): Promise<number> => {
        const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
        if (receipt.status !== "success") throw new Error(`benchmark transaction ${hash} reverted`);
        return Number(receipt.gasUsed);
      };
      const send = async (role: LocalRole, functionName: string, args: readonly unknown[], value?: bigint) =>
        gasOf(
          await wallet(role).writeContract({
            address: hub,
            abi: cce4longHubAbi,
            functionName,
            args,
            value,
          } as never),
        );
      const address = (role: LocalRole): Address => localAccount(role).address;

      const transfer = await gasOf(
        await wallet("consumer").sendTransaction({ to: address("secondConsumer"), value: 1n }),
      );
      const reference = { name: "plain ETH transfer (same run)", value: transfer, unit: "gas" };
      const results: Measurement[] = [];
      const add = (name: string, value: number, goal?: Goal, notes?: string) =>
        results.push({
          name: `contracts-gas.${name}`,
          value,
          unit: "gas",
          reference,
          ...(goal ? { goal } : {}),
          notes: notes ?? `${value - transfer} above the transfer`,
        });
      const recordGoal: Goal = {
        on: "value",
        op: "<=",
        target: RECORD_BUDGET,
        text: "<= 40,000 above the 21,000 base",
      };

      const terms = {
        pricePerPeriod: 10n ** 15n,
        periodSeconds: 86_400n,
        exploreOffered: true,
        freePreview: false,
      };
      add(
        "registerDataset",
        await send("provider", "registerDataset", [
          id("salt"),
          id("meta"),
          "s3://catalogue/bench.json",
          terms,
          [address("reviewer")],
        ]),
      );
      const datasetId = datasetIdOf(address("provider"), id("salt"));
      add(
        "commitDatasetVersion",
        await send("privacyPlaneSigner", "commitDatasetVersion", [datasetId, id("root")]),
        recordGoal,
      );
      await send("owner", "setImageDigestAllowed", [datasetId, id("image"), true]);
      await send("owner", "setMeasurementAllowed", [datasetId, id("measurement"), true]);
      add("rent", await send("consumer", "rent", [datasetId, 1], terms.pricePerPeriod));
      add("extendRental", await send("consumer", "extendRental", [datasetId, 1], terms.pricePerPeriod));

      const request = (salt: string) =>
        send("consumer", "requestJob", [id(salt), datasetId, id("image"), id("spec"), id("result key")]);
      add("requestJob", await request("job 1"));
      const jobId = jobIdOf(address("consumer"), id("job 1"));
      const zero = "0x0000000000000000000000000000000000000000";
      const lifecycleArgs: Record<(typeof LIFECYCLE_RECORDS)[number], readonly unknown[]> = {
        recordJobDispatched: [jobId, 1],
        recordJobKeyReleased: [jobId, id("measurement")],
        recordJobOutputsSubmitted: [jobId, id("outputs")],
        recordJobOutputDecision: [jobId, OutputDecision.AutoApproved, zero, id("gate")],
        recordJobResultReleased: [jobId, id("manifest")],
      };
      let lifecycle = 0;
      for (const record of LIFECYCLE_RECORDS) {
        const gas = await send("privacyPlaneSigner", record, lifecycleArgs[record]);
        lifecycle += gas;
        add(record, gas, recordGoal);
      }
      add(
        "jobLifecycle.total",
        lifecycle,
        {
          on: "value",
          op: "<=",
          target: RECORD_BUDGET * LIFECYCLE_RECORDS.length,
          text: `${LIFECYCLE_RECORDS.length} records within budget`,
        },
        `${LIFECYCLE_RECORDS.length} records (dispatch, key release, outputs, auto-approval, result); request not included`,
      );

      // The review path's decisions and the other records.
      const reviewed = jobIdOf(address("consumer"), id("job 2"));
      await request("job 2");
      await send("privacyPlaneSigner", "recordJobDispatched", [reviewed, 1]);
      await send("privacyPlaneSigner", "recordJobKeyReleased", [reviewed, id("measurement")]);
      await send("privacyPlaneSigner", "recordJobOutputsSubmitted", [reviewed, id("outputs")]);
      add(
        "recordJobOutputDecision.needsReview",
        await send("privacyPlaneSigner", "recordJobOutputDecision", [
          reviewed,
          OutputDecision.NeedsReview,
          zero,
          id("g"),
        ]),
        recordGoal,
      );
      add(
        "recordJobOutputDecision.reviewer",
        await send("privacyPlaneSigner", "recordJobOutputDecision", [
          reviewed,
          OutputDecision.ReviewerApproved,
          address("reviewer"),
          id("r"),
        ]),
        recordGoal,
      );
      await request("job 3");
      add(
        "recordJobFailed",
        await send("privacyPlaneSigner", "recordJobFailed", [jobIdOf(address("consumer"), id("job 3")), 1]),
        recordGoal,
      );
      add(
        "recordExploreSessionOpened",
        await send("privacyPlaneSigner", "recordExploreSessionOpened", [
          datasetId,
          id("session"),
          address("consumer"),
        ]),
        recordGoal,
      );
      // An export held for review opens a job record (like a request: no record budget applies).
      add(
        "recordExploreExportSubmitted",
        await send("privacyPlaneSigner", "recordExploreExportSubmitted", [
          datasetId,
          id("session"),
          id("export"),
          1,
          id("result key"),
          id("export commitment"),
        ]),
        undefined,
        "opens a review item: four fresh storage words, like requestJob; no lifecycle budget",
      );
      add(
        "recordExploreSessionClosed",
        await send("privacyPlaneSigner", "recordExploreSessionClosed", [datasetId, id("session"), 0]),
        recordGoal,
      );
      add("withdrawEarnings", await send("provider", "withdrawEarnings", []));
      return results;
    } finally {
      await anvil.process.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default contractsGas;
