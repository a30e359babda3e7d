/**
 * The `cce4long` command line (runs on the user's machine).
 * Parses arguments with commander, runs one command, maps failures to documented exit codes.
 */
import { isCce4longError } from "@cce4long/protocol";
import { Command, CommanderError } from "commander";
import { addContextOptions } from "./commands/context-options";
import { COMMAND_GROUPS } from "./commands/index";
import { EXIT, exitCodeFor } from "./exit-codes";
import { createOutput } from "./output";

export function buildProgram(): Command {
  const program = new Command("cce4long")
    .description("cce4long: confidential computing for research on sensitive longevity data")
    .option("--json", "print machine-readable JSON on stdout", false)
    .exitOverride()
    .showHelpAfterError();
  addContextOptions(program);
  const output = () => createOutput({ json: Boolean(program.opts().json) });
  for (const register of COMMAND_GROUPS) register(program, output);
  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests also come through here, with exit code 0.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const json = Boolean(program.opts().json);
    if (isCce4longError(error)) {
      // A command that already printed its result (e.g. an audit report with failed checks) only
      // sets the exit code with --json, so stdout stays one JSON document.
      if (json && error.detail?.reported === true) return exitCodeFor(error.code);
      if (json)
        process.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
      else process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      return exitCodeFor(error.code);
    }
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: "INTERNAL", message } })}\n`);
    else process.stderr.write(`error [INTERNAL]: ${message}\n`);
    return EXIT.INTERNAL;
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && /cce4long(\.js)?$|cli[/\\]src[/\\]main\.ts$/.test(process.argv[1]);
if (isEntryPoint) {
  process.exitCode = await run(process.argv.slice(2));
}
