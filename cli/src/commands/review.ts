/**
 * `cce4long review ...` (runs on the reviewer's machine): the queue of outputs waiting for a dataset's
 * reviewer, and decisions signed with EIP-712 by the reviewer's wallet. A decision needs a reason.
 */
import { Cce4longError, type ReviewDecisionKind, type ReviewQueueResponse } from "@cce4long/protocol";
import type { Command } from "commander";
import type { Hex } from "viem";
import type { Output } from "../output";
import { signReviewDecision } from "../sdk/review";
import type { CommandGroup } from "./index";
import { signedIn } from "./signed-in";

const BYTES32 = /^0x[0-9a-f]{64}$/;

export const reviewCommands: CommandGroup = (program: Command, output: () => Output) => {
  const review = program.command("review").description("review outputs the Output Gate flagged (reviewer)");

  review
    .command("queue")
    .description("list the output sets waiting for your decision on a dataset")
    .argument("<datasetId>")
    .action(async (datasetId: string, _opts: unknown, cmd: Command) => {
      if (!BYTES32.test(datasetId))
        throw new Cce4longError("VALIDATION_FAILED", `not a dataset id: ${datasetId}`);
      const session = await signedIn(cmd, { kind: "reviewer", datasetId });
      const queue = await session.api.request<ReviewQueueResponse>(
        "GET",
        `/v1/reviews?datasetId=${datasetId}`,
      );
      output().result(queue, () =>
        queue.items.length === 0
          ? "nothing to review"
          : queue.items.map((i) => JSON.stringify(i, null, 2)).join("\n"),
      );
    });

  review
    .command("decide")
    .description("approve, reject or request changes to a job's outputs, with a reason (signed EIP-712)")
    .argument("<jobId>")
    .requiredOption("--dataset <datasetId>", "the job's dataset (you must be its reviewer)")
    .requiredOption("--decision <decision>", "approve | reject | request-changes")
    .requiredOption("--reason <text>", "why (required; recorded by its hash on-chain)")
    .action(
      async (jobId: string, opts: { dataset: string; decision: string; reason: string }, cmd: Command) => {
        if (!BYTES32.test(jobId) || !BYTES32.test(opts.dataset)) {
          throw new Cce4longError(
            "VALIDATION_FAILED",
            "the job id and --dataset must be 0x + 64 lowercase hex",
          );
        }
        if (!["approve", "reject", "request-changes"].includes(opts.decision)) {
          throw new Cce4longError(
            "VALIDATION_FAILED",
            "--decision must be approve, reject or request-changes",
          );
        }
        if (opts.reason.trim() === "")
          throw new Cce4longError("VALIDATION_FAILED", "a decision needs a reason");
        const session = await signedIn(cmd, { kind: "reviewer", datasetId: opts.dataset });
        const queue = await session.api.request<ReviewQueueResponse>(
          "GET",
          `/v1/reviews?datasetId=${opts.dataset}`,
        );
        const item = queue.items.find((i) => String(i.jobId) === jobId);
        if (item === undefined)
          throw new Cce4longError("NOT_FOUND", "that job is not waiting for your review");
        const decision = await signReviewDecision(session.account, {
          chainId: session.endpoints.chainId,
          hub: session.endpoints.hub,
          jobId: jobId as Hex,
          datasetId: opts.dataset as Hex,
          outputsCommitment: String(item.outputsCommitment) as Hex,
          decision: opts.decision as ReviewDecisionKind,
          reason: opts.reason,
        });
        const answer = await session.api.request<Record<string, unknown>>(
          "POST",
          `/v1/reviews/${jobId}/decision`,
          decision,
        );
        output().result(answer, () => `decision recorded: ${opts.decision}`);
      },
    );
};
