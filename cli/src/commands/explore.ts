/**
 * `cce4long explore open|export|close` (runs on the consumer's machine): opens an Explore Mode session on a
 * dataset's desensitized sample and prints where to point a browser; takes a file out through the Output
 * Gate (held files become review items); closes it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Cce4longError, type ExploreSession } from "@cce4long/protocol";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import type { Command } from "commander";
import type { Output } from "../output";
import { exportFromSession } from "../sdk/explore-export";
import type { CommandGroup } from "./index";
import { signedIn } from "./signed-in";

export const exploreCommands: CommandGroup = (program: Command, output: () => Output) => {
  const explore = program
    .command("explore")
    .description("Jupyter on a dataset's desensitized sample (Explore Mode)");

  explore
    .command("open")
    .description("open a session (needs an active rental or a free preview); prints the notebook URL")
    .argument("<datasetId>")
    .action(async (datasetId: string, _opts: unknown, cmd: Command) => {
      if (!/^0x[0-9a-f]{64}$/.test(datasetId))
        throw new Cce4longError("VALIDATION_FAILED", `not a dataset id: ${datasetId}`);
      const session = await signedIn(cmd);
      const opened = await session.api.request<ExploreSession>("POST", "/v1/explore/sessions", { datasetId });
      output().result(opened, () =>
        [
          `session ${opened.sessionId} open until ${opened.expiresAt} (started in ${opened.startMs} ms)`,
          `point a browser at:\n  ${opened.jupyterUrl}`,
          `the sample is /data/sample.csv; what was done to it is /data/sample-report.json`,
          `close it with: cce4long explore close ${opened.apiBase.replace(/\/jupyter\/?$/, "")} --token <accessToken from --json>`,
        ].join("\n"),
      );
    });

  explore
    .command("export")
    .description(
      "take one file of the notebook folder out through the Output Gate; a file held for review is " +
        "delivered, encrypted to a fresh result key, once a reviewer approves it (cce4long job result)",
    )
    .argument("<sessionUrl>", "the session's URL on the Privacy Plane (…/v1/explore/sessions/<id>)")
    .requiredOption("--token <token>", "the session's access token")
    .requiredOption("--output <file>", "the declared output as JSON (like a job spec's outputs entry)")
    .requiredOption("--result-key-out <file>", "where to write the result private key (created, mode 0600)")
    .option("--out <file>", "where to write the file when the gate approves it at once")
    .action(
      async (url: string, opts: { token: string; output: string; resultKeyOut: string; out?: string }) => {
        let declared: unknown;
        try {
          declared = JSON.parse(readFileSync(opts.output, "utf8"));
        } catch (cause) {
          throw new Cce4longError("VALIDATION_FAILED", `cannot read the declared output ${opts.output}`, {
            cause,
          });
        }
        const parsed = declaredOutputSchema.safeParse(declared);
        if (!parsed.success) {
          throw new Cce4longError("VALIDATION_FAILED", `${opts.output} is not a declared output`, {
            detail: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
          });
        }
        const answer = await exportFromSession({
          sessionUrl: url,
          token: opts.token,
          output: parsed.data,
          resultKeyFile: resolve(opts.resultKeyOut),
        });
        if (answer.decision === "rejected-by-rules") {
          throw new Cce4longError(
            "GATE_REJECTED",
            "the Output Gate rejected the file; nothing left the session",
            {
              detail: { rules: answer.report.files.flatMap((f) => f.findings.map((x) => x.rule)) },
            },
          );
        }
        if (answer.contentBase64 !== undefined && opts.out !== undefined) {
          writeFileSync(opts.out, Buffer.from(answer.contentBase64, "base64"), { flag: "wx" });
        }
        const { contentBase64: _content, ...summary } = answer;
        output().result({ ...summary, resultKeyFile: resolve(opts.resultKeyOut) }, () =>
          answer.review === undefined
            ? `auto-approved${opts.out ? `: written to ${opts.out}` : " (pass --out to keep it)"}`
            : [
                `held for review as ${answer.review.exportId} (${answer.review.state})`,
                `once approved: cce4long job result ${answer.review.exportId} --result-key ${opts.resultKeyOut} --out <dir>`,
              ].join("\n"),
        );
      },
    );

  explore
    .command("close")
    .description("close a session (its sandbox is destroyed; the close is recorded on-chain)")
    .argument("<sessionUrl>", "the session's URL on the Privacy Plane (…/v1/explore/sessions/<id>)")
    .requiredOption("--token <token>", "the session's access token")
    .action(async (url: string, opts: { token: string }) => {
      const response = await fetch(url, {
        method: "DELETE",
        headers: { authorization: `Bearer ${opts.token}` },
      });
      if (!response.ok)
        throw new Cce4longError("UNAVAILABLE", `closing the session failed (HTTP ${response.status})`);
      output().result({ closed: url }, () => "session closed");
    });
};
