/**
 * The network-probe example reports blocked and reachable networks truthfully (runs in Node under
 * vitest). It runs only inside a fresh user+network namespace (`unshare -rn`), so no packet can leave
 * this machine: there the loopback is down, or brought up privately with a listener of our own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PYTHON, runExample } from "../run-example";

const root = mkdtempSync(join(tmpdir(), "cce4long-netprobe-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Report {
  interfaces: string[];
  attempts: { kind: string; target: string; succeeded: boolean; detail: string }[];
  succeeded: number;
}

describe("network-probe example", () => {
  it("exits 0 and reports every attempt blocked in a namespace without network", async () => {
    const output = join(root, "none");
    const result = await runExample("network-probe", { output }, { prefix: ["unshare", "-rn"] });
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(output, "network_probe.json"), "utf8")) as Report;
    expect(report.succeeded).toBe(0);
    expect(report.attempts.map((a) => a.target)).toEqual(
      expect.arrayContaining(["example.com", "1.1.1.1:443", "127.0.0.1:8545"]),
    );
    expect(report.attempts.every((a) => !a.succeeded && a.detail.length > 0)).toBe(true);
    expect(result.stdout).toContain("no network: every attempt failed");
  });

  it("exits 1 and names the target when a connection succeeds", async () => {
    const output = join(root, "reachable");
    const script = join(import.meta.dirname, "main.py");
    // Inside the private namespace: loopback up, a listener on 8787, then the probe.
    const shell = [
      "ip link set lo up",
      `${PYTHON} -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',8787)); s.listen(); time.sleep(30)" >/dev/null 2>&1 &`,
      "listener=$!",
      "sleep 0.5",
      `${PYTHON} ${script}; code=$?`,
      "kill $listener",
      "exit $code",
    ].join("\n");
    const result = await runExample(
      "network-probe",
      { output },
      {
        prefix: ["unshare", "-rn", "sh", "-c", shell, "--"],
        env: { PROBE_TIMEOUT_SECONDS: "1" },
      },
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(readFileSync(join(output, "network_probe.json"), "utf8")) as Report;
    expect(report.attempts.filter((a) => a.succeeded).map((a) => a.target)).toEqual(["127.0.0.1:8787"]);
  });
});
