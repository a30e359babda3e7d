/**
 * The local job sandbox keeps a job to /data (read-only) and /output, with no network and no
 * privileges (runs on the developer's machine / CI, needs bubblewrap).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BubblewrapSandbox } from "./bubblewrap";
import { podmanArgs } from "./podman";

let root: string;
let dataDir: string;
let outputDir: string;
let hostServer: Server;
let hostPort: number;
const sandbox = new BubblewrapSandbox();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "cce4long-sbx-"));
  dataDir = join(root, "data");
  outputDir = join(root, "output");
  mkdirSync(dataDir);
  mkdirSync(outputDir);
  writeFileSync(join(dataDir, "cohort.csv"), "age,died\n60,0\n70,1\n80,1\n");
  hostServer = createServer((socket) => socket.end("secret"));
  await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
  hostPort = (hostServer.address() as { port: number }).port;
});
afterAll(() => {
  hostServer.close();
  rmSync(root, { recursive: true, force: true });
});

const python = (code: string) => ["/usr/bin/python3", "-c", code];

describe("bubblewrap sandbox", () => {
  it("runs a job that reads /data and writes an aggregate to /output", async () => {
    const result = await sandbox.run({
      command: python(
        "import csv; rows=list(csv.DictReader(open('/data/cohort.csv'))); " +
          "open('/output/summary.txt','w').write(str(sum(int(r['died']) for r in rows)))",
      ),
      dataDir,
      outputDir,
      timeoutMs: 20_000,
    });
    expect(result.exitCode, result.stderrTail).toBe(0);
    expect(readFileSync(join(outputDir, "summary.txt"), "utf8")).toBe("2");
  });

  it("gives the job no network: neither a host loopback service nor the internet nor DNS", async () => {
    const result = await sandbox.run({
      command: python(
        "import socket\n" +
          "def probe(fn):\n" +
          "  try:\n    fn(); return 'open'\n  except Exception as e:\n    return type(e).__name__\n" +
          `print(probe(lambda: socket.create_connection(('127.0.0.1', ${hostPort}), timeout=2)))\n` +
          "print(probe(lambda: socket.create_connection(('1.1.1.1', 443), timeout=2)))\n" +
          "print(probe(lambda: socket.getaddrinfo('example.com', 443)))\n",
      ),
      dataDir,
      outputDir,
      timeoutMs: 20_000,
    });
    expect(result.exitCode, result.stderrTail).toBe(0);
    const lines = result.stdoutTail.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toBe("open");
  });

  it("runs the job as a non-root user with no capabilities and a read-only /data", async () => {
    const result = await sandbox.run({
      command: python(
        "import os\n" +
          "print(os.getuid())\n" +
          "print([l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1])\n" +
          "try:\n  open('/data/x','w'); print('writable')\nexcept OSError: print('read-only')\n",
      ),
      dataDir,
      outputDir,
      timeoutMs: 20_000,
    });
    expect(result.stdoutTail.trim().split("\n")).toEqual(["1000", "0000000000000000", "read-only"]);
  });

  it("does not pass the agent's environment into the job", async () => {
    process.env.CCE4LONG_TEST_SECRET = "must-not-leak";
    try {
      const result = await sandbox.run({
        command: python("import os; print(os.environ.get('CCE4LONG_TEST_SECRET', 'absent'))"),
        dataDir,
        outputDir,
        timeoutMs: 20_000,
      });
      expect(result.stdoutTail.trim()).toBe("absent");
    } finally {
      delete process.env.CCE4LONG_TEST_SECRET;
    }
  });

  it("kills a job that runs past its time limit", async () => {
    const result = await sandbox.run({
      command: python("import time; time.sleep(30)"),
      dataDir,
      outputDir,
      timeoutMs: 500,
    });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it("refuses an empty command", () => {
    expect(() => sandbox.run({ command: [], dataDir, outputDir, timeoutMs: 1 })).toThrow(/empty/);
  });
});

describe("podman sandbox (production, checked at its boundary)", () => {
  const digest = `registry.example/jobs/survival@sha256:${"a".repeat(64)}`;

  it("runs the image by digest with networking off, read-only root, no capabilities", () => {
    const args = podmanArgs({
      command: ["python3", "main.py"],
      dataDir: "/mnt/data",
      outputDir: "/mnt/out",
      timeoutMs: 1,
      imageDigest: digest,
    });
    expect(args).toContain("--network=none");
    expect(args).toContain("--read-only");
    expect(args).toContain("--cap-drop=ALL");
    expect(args).toContain("--pull=never");
    expect(args).toContain("--volume=/mnt/data:/data:ro");
    expect(args.slice(-3)).toEqual([digest, "python3", "main.py"]);
  });

  it("refuses an image named by tag instead of digest", () => {
    expect(() =>
      podmanArgs({
        command: ["x"],
        dataDir: "/d",
        outputDir: "/o",
        timeoutMs: 1,
        imageDigest: "python:3.11",
      }),
    ).toThrow(/digest/);
  });
});
