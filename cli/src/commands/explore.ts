/**
 * `cce4long explore open|close` (runs on the consumer's machine): opens an Explore Mode session on a
 * dataset's desensitized sample and prints where to point a browser; closes it.
 */
import { Cce4longError, type ExploreSession } from "@cce4long/protocol";
import type { Command } from "commander";
import type { Output } from "../output";
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
