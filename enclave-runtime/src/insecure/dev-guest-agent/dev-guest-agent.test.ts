import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeDevEvidenceHex } from "@cce4long/protocol/attestation/dev-evidence";
import { DstackClient } from "@phala/dstack-sdk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type DevGuestAgent, startDevGuestAgent } from "./index";
import { STATE_FILE_NAME } from "./state";

const DEV_ENV = { CCE4LONG_DEPLOYMENT: "development" };
const dirs: string[] = [];
const agents: DevGuestAgent[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cce4long-dev-agent-"));
  dirs.push(dir);
  return dir;
}

async function start(dir: string, appCompose?: string): Promise<DevGuestAgent> {
  const agent = await startDevGuestAgent({
    socketPath: join(dir, "dstack.sock"),
    stateDir: join(dir, "state"),
    appCompose,
    env: DEV_ENV,
  });
  agents.push(agent);
  return agent;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function rawPost(socketPath: string, path: string, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ socketPath, path, method: "POST" }, (response) => {
      let text = "";
      response.on("data", (chunk) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("development guest agent", () => {
  it("refuses to start unless CCE4LONG_DEPLOYMENT=development (fail closed)", async () => {
    const dir = tempDir();
    for (const env of [{}, { CCE4LONG_DEPLOYMENT: "production" }, { CCE4LONG_DEPLOYMENT: "Development" }]) {
      await expect(
        startDevGuestAgent({ socketPath: join(dir, "s.sock"), stateDir: join(dir, "state"), env }),
      ).rejects.toMatchObject({ code: "INSECURE_DEV_REFUSED" });
    }
    expect(existsSync(join(dir, "state"))).toBe(false);
    expect(existsSync(join(dir, "s.sock"))).toBe(false);
  });

  it("creates its root secret once, mode 0600, and answers info() through the SDK", async () => {
    const dir = tempDir();
    const agent = await start(dir);
    const file = join(dir, "state", STATE_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(agent.socketPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain("INSECURE");
    const info = await new DstackClient(agent.socketPath).info();
    expect(info.app_id).toMatch(/^[0-9a-f]{40}$/);
    expect(info.tcb_info.mrtd).toMatch(/^[0-9a-f]{96}$/);
    expect(info.app_name).toContain("INSECURE");
  });

  it("error: refuses a state file others can read", async () => {
    const dir = tempDir();
    await (await start(dir)).close();
    const { chmodSync } = await import("node:fs");
    chmodSync(join(dir, "state", STATE_FILE_NAME), 0o644);
    await expect(start(dir)).rejects.toThrow("it must be 0600");
  });

  it("error: refuses a malformed state file without echoing it", async () => {
    const dir = tempDir();
    await (await start(dir)).close();
    writeFileSync(join(dir, "state", STATE_FILE_NAME), '{"root_k256_key":"00"}', { mode: 0o600 });
    await expect(start(dir)).rejects.toThrow("Development guest agent state file is malformed");
  });

  it("returns a development quote, not a TDX quote, whose RTMRs replay from its event log", async () => {
    const agent = await start(tempDir());
    const client = new DstackClient(agent.socketPath);
    const reportData = new Uint8Array(64).map((_, i) => i);
    const quote = await client.getQuote(reportData);
    expect(Buffer.from(quote.quote, "hex").subarray(0, 27).toString("ascii")).toBe(
      "CCE4LONG-INSECURE-DEV-QUOTE",
    );
    const evidence = decodeDevEvidenceHex(quote.quote);
    expect(evidence.report_data).toBe(Buffer.from(reportData).toString("hex"));
    expect(quote.replayRtmrs()).toEqual([evidence.rtmr0, evidence.rtmr1, evidence.rtmr2, evidence.rtmr3]);
    const short = decodeDevEvidenceHex((await client.getQuote(Uint8Array.of(0xab))).quote);
    expect(short.report_data).toBe(`ab${"0".repeat(126)}`);
  });

  it("EmitEvent extends RTMR3 only", async () => {
    const agent = await start(tempDir());
    const client = new DstackClient(agent.socketPath);
    const before = decodeDevEvidenceHex((await client.getQuote("")).quote);
    await client.emitEvent("cce4long-test", "payload");
    const after = decodeDevEvidenceHex((await client.getQuote("")).quote);
    expect(after.rtmr3).not.toBe(before.rtmr3);
    expect([after.mrtd, after.rtmr0, after.rtmr1, after.rtmr2]).toEqual([
      before.mrtd,
      before.rtmr0,
      before.rtmr1,
      before.rtmr2,
    ]);
  });

  it("error: bad requests get an error body, the agent keeps serving", async () => {
    const agent = await start(tempDir());
    const client = new DstackClient(agent.socketPath);
    expect(await rawPost(agent.socketPath, "/GetQuote", '{"report_data":"zz"}')).toEqual({
      status: 400,
      body: { error: "Invalid request: report_data" },
    });
    expect((await rawPost(agent.socketPath, "/GetKey", "{not json")).status).toBe(400);
    expect((await rawPost(agent.socketPath, "/GetKey", "x".repeat(70_000))).status).toBe(413);
    // The SDK passes unknown bodies through; the agent says plainly what it does not implement.
    expect(await client.getTlsKey()).toMatchObject({
      error: "Unknown or unsupported guest API call: GetTlsKey",
    });
    expect((await client.version()).version).toContain("insecure");
  });

  it("removes its socket on close and replaces a stale socket left by a crash", async () => {
    const dir = tempDir();
    const socketPath = join(dir, "dstack.sock");
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve));
    // A live socket is refused...
    await expect(start(dir)).rejects.toMatchObject({ code: "PLATFORM_ALREADY_RUNNING" });
    // ...a dead one (the file left behind) is replaced.
    await new Promise<void>((resolve) => stale.close(() => resolve()));
    writeFileSync(socketPath, "");
    const agent = await start(dir);
    expect(await new DstackClient(socketPath).isReachable()).toBe(true);
    await agent.close();
    expect(existsSync(socketPath)).toBe(false);
  });

  it("CLI: refuses without the development deployment, runs until SIGTERM and removes its socket", async () => {
    const dir = tempDir();
    const socketPath = join(dir, "cli.sock");
    const main = new URL("./main.ts", import.meta.url).pathname;
    const run = (env: NodeJS.ProcessEnv) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", main, "--socket", socketPath, "--state-dir", join(dir, "state")],
        {
          env: { ...process.env, CCE4LONG_DEPLOYMENT: undefined, ...env },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      children.push(child);
      let stderr = "";
      child.stderr?.on("data", (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      return { child, exited, stderr: () => stderr };
    };
    const refused = run({});
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain("INSECURE_DEV_REFUSED");

    const running = run(DEV_ENV);
    for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await new DstackClient(socketPath).info()).app_id).toMatch(/^[0-9a-f]{40}$/);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});
