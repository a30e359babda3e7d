/**
 * The local platform as a newcomer meets it (runs on the developer's machine / CI): every service
 * answers, `npm start` refuses to start twice or on a taken port with a clear error, and Ctrl-C
 * leaves no process behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cce4longHubAbi } from "@cce4long/protocol";
import { SUBSCRIPTIONS, TOPICS } from "@cce4long/protocol/queue/topics";
import { PubSub } from "@google-cloud/pubsub";
import { type Address, createPublicClient, http } from "viem";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePorts, PORT_ENV, type PortName } from "../../platform/src/ports";
import { privacyPlaneSignerAddresses } from "../../platform/src/services/chain-setup";
import { REPO_ROOT } from "../../platform/src/stack";

const stack = inject("stack");

describe("local platform services", () => {
  it("serves the edge API's health check from workerd", async () => {
    const res = await fetch(`${stack.edgeApi}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, service: "edge-api" });
  });

  it("serves the Privacy Plane's health check with its guest API reachable", async () => {
    const res = await fetch(`${stack.privacyPlane}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, deployment: "development", guestAgent: true });
  });

  it("runs anvil with the local chain id", async () => {
    const res = await fetch(stack.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(Number(((await res.json()) as { result: string }).result)).toBe(stack.chainId);
  });

  it("creates every Pub/Sub topic and subscription on the emulator", async () => {
    const pubsub = new PubSub({
      projectId: stack.pubsubProject,
      apiEndpoint: stack.pubsubEmulatorHost,
      emulatorMode: true,
    });
    try {
      const [topics] = await pubsub.getTopics();
      const names = topics.map((t) => t.name.split("/").pop());
      for (const topic of Object.values(TOPICS)) expect(names).toContain(topic);
      const [subs] = await pubsub.getSubscriptions();
      const subNames = subs.map((s) => s.name.split("/").pop());
      for (const sub of Object.values(SUBSCRIPTIONS)) expect(subNames).toContain(sub.name);
    } finally {
      await pubsub.close();
    }
  });

  it("deploys the hub and authorizes the Privacy Plane's signers on-chain", async () => {
    const client = createPublicClient({ transport: http(stack.rpcUrl) });
    const code = await client.getCode({ address: stack.hubAddress as Address });
    expect(code && code.length > 2).toBe(true);
    const signers = await privacyPlaneSignerAddresses(stack.guestAgentSocket);
    for (const signer of [signers.chainRecorder, signers.resultManifest]) {
      expect(
        await client.readContract({
          address: stack.hubAddress as Address,
          abi: cce4longHubAbi,
          functionName: "isPrivacyPlaneSigner",
          args: [signer],
        }),
      ).toBe(true);
    }
    expect(await client.getBalance({ address: signers.chainRecorder })).toBeGreaterThan(0n);
  });

  it("runs an object store that refuses unsigned requests", async () => {
    const res = await fetch(`${stack.objectStore}/cce4long-datasets/anything`);
    expect(res.status).toBe(403);
  });
});

describe("npm start", () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function npmStart(
    stateDir: string,
    ports: Record<string, number>,
  ): { child: ChildProcess; output: () => string } {
    const env: NodeJS.ProcessEnv = { ...process.env, CCE4LONG_STATE_DIR: stateDir };
    for (const [name, port] of Object.entries(ports)) env[PORT_ENV[name as PortName]] = String(port);
    const child = spawn(process.execPath, ["--import", "tsx", "platform/src/main.ts"], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let text = "";
    child.stdout?.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      text += d.toString();
    });
    return { child, output: () => text };
  }

  async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });

  it("starts, refuses a second start, and stops on Ctrl-C with nothing left behind", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "cce4long-start-"));
    dirs.push(stateDir);
    const ports = await freePorts();
    const first = npmStart(stateDir, ports);
    await waitFor(() => first.output().includes("Press Ctrl-C"), 90_000);
    expect(first.output()).toContain(`http://127.0.0.1:${ports.edgeApi}`);

    const second = npmStart(stateDir, ports);
    expect(await exitOf(second.child)).toBe(1);
    expect(second.output()).toContain("PLATFORM_ALREADY_RUNNING");

    first.child.kill("SIGINT");
    expect(await exitOf(first.child)).toBe(0);
    expect(first.output()).toContain("stopped");
    // No process started for this state folder survives (anvil, workerd, java, node services).
    expect(() => execFileSync("pgrep", ["-f", stateDir])).toThrow();
  });

  it("names the taken port instead of hanging", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "cce4long-port-"));
    dirs.push(stateDir);
    const ports = await freePorts();
    ports.anvil = Number(new URL(stack.rpcUrl).port);
    const started = Date.now();
    const run = npmStart(stateDir, ports);
    expect(await exitOf(run.child)).toBe(1);
    expect(run.output()).toContain("PLATFORM_PORT_IN_USE");
    expect(run.output()).toContain(`anvil port ${ports.anvil}`);
    expect(run.output()).toContain("CCE4LONG_ANVIL_PORT");
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
