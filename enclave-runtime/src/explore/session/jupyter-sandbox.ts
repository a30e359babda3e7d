/**
 * Runs Debian's notebook server for one Explore session inside bubblewrap (runs inside the TEE; locally on
 * the developer's machine). The lead's job sandbox arguments are reused unchanged: every namespace unshared
 * (no network at all, not even to the host's loopback), no capabilities, uid 1000, /usr read-only, the
 * sample read-only at /data, the notebook folder at /output, the config read-only at /job. The server
 * listens only on a unix socket inside /output/.cce4long, which the proxy outside reaches through the
 * bind mount: that socket is the session's one connection.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { bubblewrapArgs } from "@cce4long/cvm-image/sandbox/bubblewrap";
import { Cce4longError } from "@cce4long/protocol";
import { jupyterConfig } from "./jupyter-config";

const BWRAP = "/usr/bin/bwrap";
const TAIL_BYTES = 8 * 1024;
/** Inside the sandbox: hidden from the notebook UI (allow_hidden is off) and from the contents API. */
const SOCKET_IN_SANDBOX = "/output/.cce4long/jupyter.sock";

export interface JupyterSandboxOptions {
  /** The decrypting FUSE mount of the sample (shown read-only at /data). */
  dataDir: string;
  /** Host folder shown writable at /output (the notebook folder). */
  workDir: string;
  /** Host folder for the config (shown read-only at /job). */
  configDir: string;
  baseUrl: string;
  internalToken: string;
  jupyterBin: string;
  readyTimeoutMs: number;
}

export interface RunningJupyter {
  /** Host path of the server's unix socket. */
  socketPath: string;
  /** Resolves when the sandbox has exited (for any reason). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** The last lines the server printed (for logs; they may hold sample data, so they stay in the TEE). */
  logTail(): string;
  stop(): Promise<void>;
}

export async function startJupyter(options: JupyterSandboxOptions): Promise<RunningJupyter> {
  const socketDir = join(options.workDir, ".cce4long");
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(options.configDir, "jupyter_notebook_config.py"),
    jupyterConfig({
      socketPath: SOCKET_IN_SANDBOX,
      baseUrl: options.baseUrl,
      internalToken: options.internalToken,
      notebookDir: "/output",
    }),
    { mode: 0o600 },
  );
  const args = bubblewrapArgs({
    command: [options.jupyterBin, "--config=/job/jupyter_notebook_config.py", "--no-browser"],
    dataDir: options.dataDir,
    outputDir: options.workDir,
    jobDir: options.configDir,
    env: {
      JUPYTER_RUNTIME_DIR: "/tmp/jupyter-runtime",
      JUPYTER_DATA_DIR: "/tmp/jupyter-data",
      SAMPLE_DIR: "/data",
    },
    timeoutMs: 0,
  });
  const child = spawn(BWRAP, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: {} });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  const socketPath = join(socketDir, "jupyter.sock");
  const running: RunningJupyter = {
    socketPath,
    exited,
    logTail: () => tail,
    stop: () => stopProcess(child, exited),
  };
  try {
    await waitReady(socketPath, options.internalToken, options.baseUrl, exited, options.readyTimeoutMs);
  } catch (error) {
    await running.stop();
    throw new Cce4longError("UNAVAILABLE", "The notebook server did not start", {
      cause: error,
      detail: { log: tail.slice(-1000) },
    });
  }
  return running;
}

async function waitReady(
  socketPath: string,
  token: string,
  baseUrl: string,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done) throw new Error("the sandbox exited before the server was ready");
    const exists = await stat(socketPath).then(
      (s) => s.isSocket(),
      () => false,
    );
    if (exists && (await statusOk(socketPath, token, baseUrl))) return;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error("timed out waiting for the notebook server");
}

function statusOk(socketPath: string, token: string, baseUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath,
        path: `${baseUrl}api/status`,
        headers: { host: "localhost", authorization: `token ${token}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.once("error", () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
    req.end();
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const group = -(child.pid ?? 0);
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(group, s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 2000);
  await exited;
  clearTimeout(timer);
}
