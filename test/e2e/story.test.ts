/**
 * The cce4long story as an automated test (developer machine / CI): the same steps `npm run demo`
 * narrates, against the test stack, with a smaller cohort to keep CI quick.
 */
import { describe, expect, inject, it } from "vitest";
import { Narrator } from "../../cli/src/demo/narrator";
import { runStory } from "../../cli/src/demo/story";

const stack = inject("stack");

describe("end-to-end story", () => {
  it("plays every step of the demo and each one checks out", async () => {
    const lines: string[] = [];
    const narrator = new Narrator((line) => {
      lines.push(line);
      process.stdout.write(`${line}\n`);
    });
    const outcome = await runStory({
      endpoints: {
        api: stack.edgeApi,
        rpcUrl: stack.rpcUrl,
        chainId: stack.chainId,
        hub: stack.hubAddress as `0x${string}`,
      },
      narrator,
      participants: 5_000,
    });
    expect(
      narrator.results.every((r) => r.ok),
      lines.join("\n"),
    ).toBe(true);
    expect(outcome.auditEvents).toContain("DatasetRegistered");
    expect(outcome.auditEvents).toContain("RentalStarted");
  }, 900_000);
});
