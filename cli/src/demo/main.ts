/**
 * `npm run demo` (runs on the user's machine): plays the cce4long story with narration against the
 * local platform — the one already running (`npm start`), or one it starts itself and stops at the
 * end. Exits 0 only if every step checked out; prints the time of each step.
 */
import { join } from "node:path";
import { stackLayout } from "../../../platform/src/layout";
import { DEFAULT_PORTS } from "../../../platform/src/ports";
import { readRunningStack } from "../../../platform/src/running-stack";
import { REPO_ROOT, type RunningStack, startStack } from "../../../platform/src/stack";
import type { Endpoints } from "../context";
import { Narrator } from "./narrator";
import { runStory } from "./story";

async function main(): Promise<number> {
  const participants = Number(process.env.CCE4LONG_DEMO_PARTICIPANTS ?? 50_000);
  const root = process.env.CCE4LONG_STATE_DIR ?? join(REPO_ROOT, ".local");
  const narrator = new Narrator();
  const started = performance.now();
  let owned: RunningStack | undefined;
  let endpoints: Endpoints;
  const running = readRunningStack(stackLayout(root).stackRecord);
  if (running) {
    console.log(`cce4long demo: using the local platform already running (pid ${running.pid})`);
    endpoints = {
      api: running.endpoints.edgeApi,
      rpcUrl: running.endpoints.rpcUrl,
      chainId: running.endpoints.chainId,
      hub: running.endpoints.hubAddress as `0x${string}`,
    };
  } else {
    console.log("cce4long demo: starting the local platform (it stops when the demo ends)…");
    owned = await startStack({
      root,
      ports: { ...DEFAULT_PORTS },
      persistChain: true,
      onProgress: (l) => console.log(l),
    });
    console.log(`  platform up in ${(owned.startMs / 1000).toFixed(1)} s`);
    endpoints = {
      api: owned.endpoints.edgeApi,
      rpcUrl: owned.endpoints.rpcUrl,
      chainId: owned.endpoints.chainId,
      hub: owned.endpoints.hubAddress as `0x${string}`,
    };
  }
  let ok = false;
  try {
    await runStory({ endpoints, narrator, participants });
    ok = true;
  } catch {
    // the narrator has printed the failed step
  } finally {
    await owned?.stop();
  }
  console.log(`\n${narrator.summary()}\n  wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    ok ? "\ncce4long demo: every step checked out." : "\ncce4long demo: FAILED (see the step above).",
  );
  return ok ? 0 : 1;
}

process.exitCode = await main();
