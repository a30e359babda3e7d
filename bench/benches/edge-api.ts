/**
 * Edge API throughput and latency under `wrangler dev` (`npm run bench -- edge-api`, developer
 * machine): a catalogue read and job submission, each against the trivial route GET /healthz of the
 * same Worker measured in the same run (both pass the same middleware: config, CORS, body limit,
 * auth, rate-limit Durable Object). Starts its own anvil (hub deployed, one dataset, jobs requested
 * on-chain), the Pub/Sub emulator and wrangler dev; load from wrk (-t2 -c32). Goals: catalogue read
 * at least 80% of the trivial route's requests/s, p99 under 50 ms; measured with the cache off (every
 * read goes to the chain) and as deployed (the 5-second catalogue cache of wrangler.toml).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { deployContracts } from "@cce4long/contracts/deploy";
import { ANVIL_ACCOUNT0_KEY, type LocalRole, localAccount } from "@cce4long/contracts/local-accounts";
import { freePort } from "@cce4long/platform/ports";
import { startAnvil } from "@cce4long/platform/services/anvil";
import { startEdgeApi } from "@cce4long/platform/services/edge-api";
import { startPubSubEmulator } from "@cce4long/platform/services/pubsub-emulator";
import { cce4longHubAbi, datasetIdOf, jobIdOf } from "@cce4long/protocol/chain/index";
import { LOCAL_PUBSUB_PROJECT, TOPICS } from "@cce4long/protocol/queue/topics";
import { type Address, createPublicClient, createWalletClient, type Hex, http, keccak256, toHex } from "viem";
import { anvil as anvilChain } from "viem/chains";
import { createSiweMessage } from "viem/siwe";
import type { Benchmark, Goal, Measurement } from "../types";

const run = promisify(execFile);
const THREADS = 2;
const CONNECTIONS = 32;
const WARMUP_SECONDS = 2;
const SECONDS = 8;
/** Jobs requested on-chain for the first-submission run; wrk stops when they are used up. */
const JOBS = 1500;

const id = (label: string): Hex => keccak256(toHex(label));

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: string | null;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) throw new Error(`wrk: cannot read the latency "${text}"`);
  const value = Number(match[1]);
  return { us: value / 1000, ms: value, s: value * 1000, m: value * 60_000 }[
    match[2] as "us" | "ms" | "s" | "m"
  ];
}

/** Reads wrk's --latency report. */
export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (rps === null || p50 === null || p99 === null || total === null) {
    throw new Error(`wrk: unexpected output:\n${output}`);
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const errors = /Socket errors:.*$/m.exec(output);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!),
    p99Ms: toMs(p99[1]!),
    requests: Number(total[1]),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    errors: errors === null ? null : errors[0],
  };
}

async function wrk(url: string, seconds: number, script?: string): Promise<WrkResult> {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "--timeout", "5s"];
  if (script !== undefined) args.push("-s", script);
  const { stdout } = await run("wrk", [...args, url], { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

/** A wrk script sending one POST body per request, from a list split between the threads. */
function postScript(
  file: string,
  bodies: string[],
  headers: Record<string, string>,
  stopWhenDone: boolean,
): void {
  const lua = `
local bodies = { ${bodies.map((b) => JSON.stringify(b)).join(",\n")} }
local headers = { ${Object.entries(headers)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join(", ")} }
local threads = ${THREADS}
local counter = 1
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end
function init(args)
  slice = math.floor(#bodies / threads)
  first = (index - 1) * slice + 1
  sent = 0
  done = 0
end
function request()
  local i = first + (sent % slice)
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[i])
end
function response(status, headers, body)
  done = done + 1
  ${stopWhenDone ? "if done >= slice then wrk.thread:stop() end" : ""}
end
`;
  writeFileSync(file, lua);
}

async function signIn(api: string, domain: string, role: LocalRole, chainId: number): Promise<string> {
  const account = localAccount(role);
  const { nonce } = (await (await fetch(`${api}/v1/auth/nonce`, { method: "POST" })).json()) as {
    nonce: string;
  };
  const message = createSiweMessage({
    domain,
    address: account.address,
    statement: "cce4long bench",
    uri: `${api}/`,
    version: "1",
    chainId,
    nonce,
    issuedAt: new Date(),
  });
  const response = await fetch(`${api}/v1/auth/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, signature: await account.signMessage({ message }) }),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

const edgeApi: Benchmark = {
  name: "edge-api",
  description:
    "Catalogue read and job submission under wrangler dev, against the trivial /healthz route (wrk)",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "cce4long-bench-edge-"));
    const stops: (() => Promise<void>)[] = [];
    try {
      const anvil = await startAnvil({ port: await freePort(), logFile: join(dir, "anvil.log") });
      stops.push(() => anvil.process.stop());
      const deployment = await deployContracts({
        rpcUrl: anvil.rpcUrl,
        deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
        outFile: join(dir, "deployment.json"),
        privacyPlaneSigners: [localAccount("privacyPlaneSigner").address],
      });
      const hub = deployment.contracts.hub.address;
      const transport = http(anvil.rpcUrl);
      const chain = createPublicClient({ chain: anvilChain, transport, pollingInterval: 20 });
      const wallet = (role: LocalRole) =>
        createWalletClient({ account: localAccount(role), chain: anvilChain, transport });
      const send = async (role: LocalRole, functionName: string, args: readonly unknown[], value?: bigint) =>
        chain.waitForTransactionReceipt({
          hash: await wallet(role).writeContract({
            address: hub,
            abi: cce4longHubAbi,
            functionName,
            args,
            value,
          } as never),
        });
      const address = (role: LocalRole): Address => localAccount(role).address;

      // One dataset, rented by the consumer, with an allowed image, and JOBS requested jobs.
      const terms = {
        pricePerPeriod: 10n ** 15n,
        periodSeconds: 86_400n,
        exploreOffered: true,
        freePreview: false,
      };
      await send("provider", "registerDataset", [
        id("bench"),
        id("meta"),
        "s3://catalogue/bench.json",
        terms,
        [address("reviewer")],
      ]);
      const datasetId = datasetIdOf(address("provider"), id("bench"));
      await send("owner", "setImageDigestAllowed", [datasetId, id("image"), true]);
      await send("consumer", "rent", [datasetId, 30], terms.pricePerPeriod * 30n);
      const consumer = wallet("consumer");
      let nonce = await chain.getTransactionCount({ address: address("consumer"), blockTag: "pending" });
      const hashes: Hex[] = [];
      for (let i = 0; i < JOBS; i++) {
        hashes.push(
          await consumer.writeContract({
            address: hub,
            abi: cce4longHubAbi,
            functionName: "requestJob",
            args: [id(`job ${i}`), datasetId, id("image"), id("spec"), id("result key")],
            nonce: nonce++,
            gas: 300_000n,
          }),
        );
      }
      const last = await chain.waitForTransactionReceipt({ hash: hashes.at(-1)! });
      if (last.status !== "success") throw new Error("requestJob failed");
      const jobIds = Array.from({ length: JOBS }, (_, i) => jobIdOf(address("consumer"), id(`job ${i}`)));

      const pubsub = await startPubSubEmulator({ port: await freePort(), logFile: join(dir, "pubsub.log") });
      stops.push(() => pubsub.process.stop());

      const startEdge = async (name: string, cacheSeconds: number) => {
        const port = await freePort();
        const domain = `127.0.0.1:${port}`;
        const edge = await startEdgeApi({
          port,
          inspectorPort: await freePort(),
          logFile: join(dir, `${name}.log`),
          envFile: join(dir, `${name}.env`),
          persistDir: join(dir, `${name}-state`),
          repoRoot: join(import.meta.dirname, "..", ".."),
          vars: {
            CATALOGUE_CACHE_SECONDS: String(cacheSeconds),
            DEPLOYMENT: "development",
            RPC_URL: anvil.rpcUrl,
            CHAIN_ID: String(anvil.chainId),
            HUB_ADDRESS: hub,
            HUB_DEPLOYED_BLOCK: String(deployment.contracts.hub.deployedBlock),
            SIWE_DOMAIN: domain,
            ALLOWED_ORIGINS: `http://${domain}`,
            PUBSUB_ENDPOINT: `http://${pubsub.emulatorHost}`,
            PUBSUB_PROJECT: LOCAL_PUBSUB_PROJECT,
            PUBSUB_JOBS_TOPIC: TOPICS.jobs,
            PUBSUB_INGEST_TOPIC: TOPICS.ingest,
            OBJECT_STORE_ENDPOINT: "http://127.0.0.1:9",
            OBJECT_STORE_ACCESS_KEY_ID: "bench",
            OBJECT_STORE_SECRET_ACCESS_KEY: "bench-secret",
            PRIVACY_PLANE_URL: "http://127.0.0.1:9",
            TOKEN_SECRET: toHex(crypto.getRandomValues(new Uint8Array(32))),
            RATE_LIMIT_PER_MINUTE: "1000000",
          },
        });
        stops.push(() => edge.process.stop());
        return { edge, domain };
      };
      // The floor of the runtime itself: a Worker that answers a constant, under the same wrangler dev.
      const bareDir = join(dir, "bare-worker");
      mkdirSync(bareDir);
      writeFileSync(
        join(bareDir, "index.js"),
        "export default { fetch: () => Response.json({ ok: true }) };\n",
      );
      writeFileSync(
        join(bareDir, "wrangler.toml"),
        'name = "bare"\nmain = "index.js"\ncompatibility_date = "2026-10-01"\n',
      );
      const bare = await startEdgeApi({
        port: await freePort(),
        inspectorPort: await freePort(),
        logFile: join(dir, "bare.log"),
        envFile: join(dir, "bare.env"),
        persistDir: join(dir, "bare-state"),
        repoRoot: bareDir,
        vars: {},
        readyPath: "/",
      });
      await wrk(bare.url, WARMUP_SECONDS);
      const bareRun = await wrk(bare.url, SECONDS);
      await bare.process.stop();

      const { edge, domain } = await startEdge("edge-api", 0);
      const api = edge.url;
      const token = await signIn(api, domain, "consumer", anvil.chainId);

      const trivialUrl = `${api}/healthz`;
      const readUrl = `${api}/v1/datasets/${datasetId}`;
      const listUrl = `${api}/v1/datasets?limit=20`;
      const check = await fetch(readUrl);
      if (!check.ok) throw new Error(`catalogue read failed: ${check.status} ${await check.text()}`);

      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const newJobs = join(dir, "new-jobs.lua");
      postScript(
        newJobs,
        jobIds.map((jobId) => JSON.stringify({ jobId })),
        headers,
        true,
      );
      const replays = join(dir, "replays.lua");
      postScript(
        replays,
        jobIds.slice(0, 64).map((jobId) => JSON.stringify({ jobId })),
        headers,
        false,
      );

      // Warm up workerd, the Durable Objects and the JIT on every path (the warm-up submits no job).
      await wrk(trivialUrl, WARMUP_SECONDS);
      await wrk(readUrl, WARMUP_SECONDS);
      const trivial = await wrk(trivialUrl, SECONDS);
      const read = await wrk(readUrl, SECONDS);
      const list = await wrk(listUrl, SECONDS);
      const submitted = await wrk(`${api}/v1/jobs`, 60, newJobs);
      const replayed = await wrk(`${api}/v1/jobs`, SECONDS, replays);
      const trivialAfter = await wrk(trivialUrl, SECONDS);
      await edge.process.stop();

      // The same read as deployed (wrangler.toml: a 5-second catalogue cache, isolate memory then the
      // Cache API), against the trivial route of that Worker.
      const cached = await startEdge("edge-api-cached", 5);
      await wrk(`${cached.edge.url}/healthz`, WARMUP_SECONDS);
      await wrk(`${cached.edge.url}/v1/datasets/${datasetId}`, WARMUP_SECONDS);
      const cachedTrivial = await wrk(`${cached.edge.url}/healthz`, SECONDS);
      const cachedRead = await wrk(`${cached.edge.url}/v1/datasets/${datasetId}`, SECONDS);
      const load = `load average during the run: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" / ")} on ${availableParallelism()} CPUs`;

      const reference = {
        name: "GET /healthz (trivial route, same Worker, same run)",
        value: trivial.requestsPerSecond,
        unit: "req/s",
      };
      const facts = (r: WrkResult) =>
        `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.requests} requests` +
        (r.non2xx > 0 ? `, ${r.non2xx} NOT 2xx` : "") +
        (r.errors ? `, ${r.errors}` : "");
      const ratio: Goal = { on: "ratio", op: ">=", target: 0.8, text: ">= 80% of the trivial route" };
      const p99: Goal = { on: "value", op: "<=", target: 50, text: "p99 < 50 ms" };
      const latencyRef = { name: "GET /healthz p99 (same run)", value: trivial.p99Ms, unit: "ms" };
      const results: Measurement[] = [
        {
          name: "edge-api.trivial.p99",
          value: trivial.p99Ms,
          unit: "ms",
          reference: {
            name: "a bare Worker's p99 (constant answer, same wrangler dev)",
            value: bareRun.p99Ms,
            unit: "ms",
          },
          notes:
            `the runtime's floor at ${CONNECTIONS} connections: bare Worker ${facts(bareRun)}, ` +
            `${bareRun.requestsPerSecond.toFixed(0)} req/s; trivial route ${trivial.requestsPerSecond.toFixed(0)} req/s ` +
            `(config, CORS, body limit, auth, rate-limit Durable Object)`,
        },
        {
          name: "edge-api.trivial.rps",
          value: trivialAfter.requestsPerSecond,
          unit: "req/s",
          reference,
          notes: `the reference again at the end of the run: ${facts(trivialAfter)}; ${load}`,
        },
        {
          name: "edge-api.catalogue-read.rps",
          value: read.requestsPerSecond,
          unit: "req/s",
          reference,
          goal: ratio,
          notes: `GET /v1/datasets/{id} with the cache off (2 eth_calls, one batch, every request): ${facts(read)}; trivial: ${facts(trivial)}`,
        },
        {
          name: "edge-api.catalogue-read.p99",
          value: read.p99Ms,
          unit: "ms",
          reference: latencyRef,
          goal: p99,
        },
        {
          name: "edge-api.catalogue-read.cached.rps",
          value: cachedRead.requestsPerSecond,
          unit: "req/s",
          reference: {
            ...reference,
            value: cachedTrivial.requestsPerSecond,
            name: "GET /healthz (the cached Worker, same run)",
          },
          goal: ratio,
          notes: `as deployed, CATALOGUE_CACHE_SECONDS=5 (isolate memory, then the Cache API; fresh 5 s, then stale-while-revalidate for 5 s more): ${facts(cachedRead)}; trivial: ${facts(cachedTrivial)}`,
        },
        {
          name: "edge-api.catalogue-read.cached.p99",
          value: cachedRead.p99Ms,
          unit: "ms",
          reference: { name: "GET /healthz p99 (the cached Worker)", value: cachedTrivial.p99Ms, unit: "ms" },
          goal: p99,
        },
        {
          name: "edge-api.catalogue-list.rps",
          value: list.requestsPerSecond,
          unit: "req/s",
          reference,
          notes: `GET /v1/datasets?limit=20 (one dataset): ${facts(list)}`,
        },
        {
          name: "edge-api.job-submit.rps",
          value: submitted.requestsPerSecond,
          unit: "req/s",
          reference,
          notes:
            `POST /v1/jobs, each a new job requested on-chain (getJob + rental reads on anvil, Durable Object, ` +
            `publish to the Pub/Sub emulator): ${facts(submitted)}`,
        },
        {
          name: "edge-api.job-submit.p99",
          value: submitted.p99Ms,
          unit: "ms",
          reference: latencyRef,
          notes: `p50 ${submitted.p50Ms.toFixed(2)} ms`,
        },
        {
          name: "edge-api.job-resubmit.rps",
          value: replayed.requestsPerSecond,
          unit: "req/s",
          reference,
          notes: `POST /v1/jobs for 64 jobs already submitted (getJob + Durable Object lookup, no publish): ${facts(replayed)}`,
        },
      ];
      return results;
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default edgeApi;
