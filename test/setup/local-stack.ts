/**
 * Global setup of the integration tests (runs on the developer's machine / CI): starts the whole
 * local platform — the same code `npm start` runs — on free ports in a temp folder, hands the
 * endpoints to the tests with `inject("stack")`, and stops everything afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePorts } from "../../platform/src/ports";
import { type StackEndpoints, startStack } from "../../platform/src/stack";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackEndpoints & { stateDir: string; startMs: number };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = mkdtempSync(join(tmpdir(), "cce4long-it-"));
  const stack = await startStack({ root: stateDir, ports: await freePorts(), persistChain: false });
  project.provide("stack", { ...stack.endpoints, stateDir, startMs: stack.startMs });
  return async () => {
    await stack.stop();
    if (!process.env.CCE4LONG_KEEP_TEST_STATE) rmSync(stateDir, { recursive: true, force: true });
  };
}
