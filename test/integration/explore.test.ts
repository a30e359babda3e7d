/**
 * Explore Mode end to end on the local platform (runs on the developer's machine / CI): a dataset with
 * Explore Mode on the stack's chain, its desensitized sample sealed under the dataset key the dev guest
 * agent derives, and the Privacy Plane's Explore routes (served here in-process, since ingest does not yet
 * hand the running Privacy Plane a keyring entry for test datasets). A consumer opens a session, runs cells
 * through Jupyter's REST and kernel WebSocket API, and takes a file out through the Output Gate. A file the
 * gate holds for review becomes a review item of the Privacy Plane's review service (served in-process too,
 * with its real hub records): only the dataset's on-chain reviewer decides it, an approved export reaches the
 * consumer encrypted to their key exactly once, a rejected one never.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { ANVIL_MNEMONIC, LOCAL_ROLE_INDEX } from "@cce4long/contracts/local-accounts";
import { openResultFile } from "@cce4long/enclave-runtime/delivery/result-envelope";
import { buildExploreSampleArtefacts } from "@cce4long/enclave-runtime/explore/sample/sample-artefact";
import { ExploreSessions } from "@cce4long/enclave-runtime/explore/session/explore-sessions";
import { createHubExploreChain } from "@cce4long/enclave-runtime/explore/session/hub-explore-chain";
import { manifestSampleSource } from "@cce4long/enclave-runtime/explore/session/sample-source";
import { buildFingerprintIndex } from "@cce4long/enclave-runtime/gate/fingerprints/build";
import { createPrivacyPlaneApp } from "@cce4long/enclave-runtime/http/app";
import { exploreRoutes, exploreUpgradeHandler } from "@cce4long/enclave-runtime/http/explore-routes";
import { reviewRoutes } from "@cce4long/enclave-runtime/http/review-routes";
import { MemoryObjectStore } from "@cce4long/enclave-runtime/ingest/memory-object-store";
import { FileReviewStore } from "@cce4long/enclave-runtime/review/file-review-store";
import { createHubReviewChain } from "@cce4long/enclave-runtime/review/hub-review-chain";
import { MemoryOutputVault } from "@cce4long/enclave-runtime/review/output-vault";
import { ReviewService } from "@cce4long/enclave-runtime/review/review-service";
import {
  cce4longHubAbi,
  datasetIdOf,
  EXPLORE_SAMPLE_PATH,
  EXPLORE_SAMPLE_REPORT_PATH,
  type ExploreExportResponse,
  type ExploreSession,
  ExploreSessionStatus,
  JobStatus,
  LONGEVITY_COHORT_SCHEMA,
  parseDeployment,
} from "@cce4long/protocol";
import { RESULT_OBJECT_KEYS } from "@cce4long/protocol/api/results";
import {
  REVIEW_DECISION_TYPES,
  type ReviewDecisionKind,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol/api/reviews";
import { buildManifest, type ManifestEntry } from "@cce4long/protocol/datasets/manifest";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { verifyManifestOffline } from "@cce4long/protocol/manifest/verify-manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { encryptBuffer, parseHeader } from "@cce4long/sealing";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { InMemoryKeyVersionStore } from "@cce4long/sealing/keys/key-version-store";
import { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import { serve } from "@hono/node-server";
import {
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  type LocalAccount,
  toHex,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { run } from "../../cli/src/main";
import { runCell } from "../../cli/src/sdk/jupyter";

const stack = inject("stack");
const account = (index: number) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
const provider = account(LOCAL_ROLE_INDEX.provider);
const consumer = account(LOCAL_ROLE_INDEX.consumer);
const secondConsumer = account(LOCAL_ROLE_INDEX.secondConsumer);
const reviewer = account(LOCAL_ROLE_INDEX.reviewer);
const outsider = account(LOCAL_ROLE_INDEX.secondProvider); // reviews another dataset only
const PRICE = 10n ** 15n;
/** The edge API's token towards this in-process Privacy Plane's review routes. */
const EDGE_TOKEN = randomBytes(24).toString("hex");
let reviews: ReviewService;
let results: MemoryObjectStore;
let reviewStateDir: string;
/** The consumer's X25519 result key pair (raw 32 bytes each), as `job request --result-key-out` makes. */
const resultKey = (() => {
  const pair = generateKeyPairSync("x25519");
  return {
    publicKey: new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" }).subarray(12)),
    privateKey: new Uint8Array(pair.privateKey.export({ format: "der", type: "pkcs8" }).subarray(16)),
  };
})();

let server: Server;
let baseUrl: string;
let sessions: ExploreSessions;
let datasetId: Hex;
let stateDir: string;
let session: ExploreSession;
let other: ExploreSession;
const fullCsv = CSV_HEADER + [...cohortRows({ participants: 3000, seed: 99n })].map(csvLine).join("");
const identifierValues = [...cohortRows({ participants: 3000, seed: 99n })]
  .slice(0, 50)
  .map((r) => r.full_name);

async function chainSetUp() {
  const deployment = parseDeployment(JSON.parse(readFileSync(stack.deploymentFile, "utf8")));
  const transport = http(stack.rpcUrl);
  const reader = createPublicClient({ transport });
  const address = deployment.contracts.hub.address;
  const write = async (who: LocalAccount, functionName: string, args: readonly unknown[], value?: bigint) => {
    const wallet = createWalletClient({ account: who, transport });
    const hash = await wallet.writeContract({
      address,
      abi: cce4longHubAbi,
      functionName,
      args,
      chain: null,
      ...(value === undefined ? {} : { value }),
    } as never);
    await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  };
  const salt = keccak256(toHex(`explore-it-${randomBytes(8).toString("hex")}`));
  datasetId = datasetIdOf(provider.address, salt);
  const terms = { pricePerPeriod: PRICE, periodSeconds: 86_400n, exploreOffered: true, freePreview: false };
  await write(provider, "registerDataset", [
    salt,
    keccak256(toHex("meta")),
    "s3://catalogue/explore.json",
    terms,
    [reviewer.address],
  ]);
  const otherSalt = keccak256(toHex(`explore-it-other-${randomBytes(8).toString("hex")}`));
  await write(provider, "registerDataset", [
    otherSalt,
    keccak256(toHex("meta-other")),
    "s3://catalogue/explore-other.json",
    terms,
    [outsider.address],
  ]);
  await write(consumer, "rent", [datasetId, 1], PRICE);
  await write(secondConsumer, "rent", [datasetId, 1], PRICE);
  return write;
}

/** What ingest will do: seal the full table and the sample under the dataset key and list them in a manifest. */
async function datasetSetUp(keys: DstackKeyProvider, keyring: DatasetKeyring, store: MemoryObjectStore) {
  const key = await keyring.createDataset(datasetId);
  const rows = [...cohortRows({ participants: 3000, seed: 99n })];
  const artefacts = await buildExploreSampleArtefacts(
    rows,
    LONGEVITY_COHORT_SCHEMA,
    { k: 5, seed: 1 },
    key.key,
  );
  const entry = (
    kind: ManifestEntry["kind"],
    path: string,
    plaintext: Uint8Array,
    rowCount: number | null,
  ) => {
    const sealed = encryptBuffer(plaintext, { key: key.key, datasetId, keyVersion: 1 });
    const objectKey = `${datasetId}/v1/${path}`;
    store.objects.set(`${BUCKETS.datasets}/${objectKey}`, sealed);
    return {
      kind,
      path,
      objectKey,
      fileId: Buffer.from(parseHeader(sealed).header.fileId).toString("hex"),
      keyVersion: 1,
      chunkSize: 65_536,
      plaintextBytes: plaintext.length,
      ciphertextBytes: sealed.length,
      ciphertextSha256: createHash("sha256").update(sealed).digest("hex"),
      rows: rowCount,
    } satisfies ManifestEntry;
  };
  const manifest = buildManifest({
    format: "cce4long/dataset-manifest/v1",
    datasetId,
    uploadId: randomBytes(16).toString("hex"),
    createdAt: new Date().toISOString(),
    entries: [
      entry("data", "cohort.csv", new TextEncoder().encode(fullCsv), rows.length),
      entry("explore-sample", EXPLORE_SAMPLE_PATH, artefacts.csv, artefacts.report.rows),
      entry("explore-sample", EXPLORE_SAMPLE_REPORT_PATH, artefacts.reportJson, null),
    ],
  });
  const fingerprints = buildFingerprintIndex({ datasetKey: key.key, schema: LONGEVITY_COHORT_SCHEMA, rows });
  key.wipe();
  void keys;
  return { manifest, fingerprints, report: artefacts.report };
}

beforeAll(async () => {
  const write = await chainSetUp();
  const keys = new DstackKeyProvider({ endpoint: stack.guestAgentSocket });
  const keyring = new DatasetKeyring({ provider: keys, store: new InMemoryKeyVersionStore() });
  const store = new MemoryObjectStore();
  const { manifest, fingerprints } = await datasetSetUp(keys, keyring, store);
  const recorderKey = await keys.signingKey("chain-recorder");
  const recorder = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  // The version the session's sample belongs to, committed as ingest would (an export names it).
  await write(recorder, "commitDatasetVersion", [datasetId, manifest.root]);
  const deployment = parseDeployment(JSON.parse(readFileSync(stack.deploymentFile, "utf8")));
  stateDir = mkdtempSync(join(tmpdir(), "cce4long-explore-it-"));
  reviewStateDir = mkdtempSync(join(tmpdir(), "cce4long-explore-review-it-"));
  results = new MemoryObjectStore();
  reviews = new ReviewService({
    chainId: deployment.chainId,
    hub: deployment.contracts.hub.address,
    store: new FileReviewStore(reviewStateDir),
    vault: new MemoryOutputVault(),
    chain: createHubReviewChain({ rpcUrl: stack.rpcUrl, deployment, recorder }),
    gate: async () => {
      throw new Error("exports arrive checked by the session's gate");
    },
    events: { emit: async () => {} },
    objectStore: results,
    manifestKey: () => keys.signingKey("result-manifest"),
    timeout: { afterHours: 24, action: "reject" },
    log: () => {},
  });
  sessions = new ExploreSessions({
    chain: createHubExploreChain({ rpcUrl: stack.rpcUrl, deployment, recorder }),
    samples: manifestSampleSource({
      store,
      latestVersion: async (id) => (id === datasetId ? { version: 1, manifest } : undefined),
    }),
    keys: keyring,
    gateFor: async () => ({ policy: gatePolicySchema.parse({}), fingerprints }),
    reviews,
    stateDir,
    sessionSeconds: 600,
    maxSessions: 4,
    jupyterBin: "/usr/bin/jupyter-notebook",
    log: () => {},
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: (req) => app.fetch(req), hostname: "127.0.0.1", port: 0 }, () =>
      resolve(),
    ) as Server;
  });
  const port = (server.address() as { port: number }).port;
  baseUrl = `http://127.0.0.1:${port}`;
  const options = { sessions, publicUrl: baseUrl };
  const app = createPrivacyPlaneApp({
    deployment: "development",
    guestAgentReachable: async () => true,
    log: () => {},
    routes: [exploreRoutes(options), reviewRoutes({ service: reviews, apiToken: EDGE_TOKEN })],
  });
  server.on("upgrade", exploreUpgradeHandler(options));
}, 120_000);

afterAll(async () => {
  await sessions?.closeAll();
  await new Promise((r) => server?.close(r));
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  if (reviewStateDir) rmSync(reviewStateDir, { recursive: true, force: true });
});

async function open(who: Address): Promise<Response> {
  return fetch(`${baseUrl}/v1/explore/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-cce4long-caller": who },
    body: JSON.stringify({ datasetId }),
  });
}

const bearer = (s: ExploreSession) => ({ authorization: `Bearer ${s.accessToken}` });

type HeldExport = NonNullable<ExploreExportResponse["review"]>;
let heldExport: HeldExport;

function exportFile(s: ExploreSession, path: string, key?: Uint8Array): Promise<Response> {
  return fetch(`${baseUrl}/v1/explore/sessions/${s.sessionId}/exports`, {
    method: "POST",
    headers: { ...bearer(s), "content-type": "application/json" },
    body: JSON.stringify({
      output: {
        kind: "frequency_table",
        path,
        description: "participants by sex",
        format: "csv",
        countColumn: "n",
        dimensionColumns: ["sex"],
      },
      ...(key === undefined ? {} : { resultPublicKey: bytesToHex(key) }),
    }),
  });
}

function hubRead<T>(functionName: string, args: readonly unknown[]): Promise<T> {
  return createPublicClient({ transport: http(stack.rpcUrl) }).readContract({
    address: stack.hubAddress as Address,
    abi: cce4longHubAbi,
    functionName,
    args,
  } as never) as Promise<T>;
}

/** Runs the CLI in-process, capturing its output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    return { code: await run(args), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A review call as the edge API forwards it: its token and the signed-in reviewer. */
async function pp(path: string, caller: Address, body?: unknown) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${EDGE_TOKEN}`,
      "x-cce4long-caller": caller,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A reviewer's EIP-712 signed decision on a held export, forwarded as the edge does. */
async function decide(signer: typeof reviewer, item: HeldExport, kind: ReviewDecisionKind, nonce: string) {
  const hub = stack.hubAddress as Address;
  const fields = {
    jobId: item.exportId as Hex,
    datasetId,
    outputsCommitment: item.outputsCommitment as Hex,
    decision: kind,
    reason: "Two cells under the minimum count; shown to the consumer only as a shape check.",
    reviewer: signer.address,
    nonce,
    deadline: Math.floor(Date.now() / 1000) + 600,
  };
  const signature = await signer.signTypedData({
    domain: reviewDecisionDomain(stack.chainId, hub),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage(fields),
  });
  const body = {
    ...fields,
    jobId: fields.jobId.toLowerCase(),
    datasetId: fields.datasetId.toLowerCase(),
    decisionCode: { approve: 4, reject: 5, "request-changes": 6 }[kind],
    signature,
    chainId: stack.chainId,
    verifyingContract: hub,
  };
  return pp(`/v1/reviews/${item.exportId}/decision`, signer.address, body);
}

describe("Explore Mode sessions", () => {
  let kernelId: string;

  it("opens a session for a consumer with an active rental, recorded on-chain, in under 5 s", async () => {
    const started = performance.now();
    const res = await open(consumer.address);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(201);
    session = (await res.json()) as ExploreSession;
    console.log(`explore session start: ${Math.round(elapsed)} ms (Privacy Plane: ${session.startMs} ms)`);
    expect(elapsed).toBeLessThan(5_000);
    expect(session.freePreview).toBe(false);
    expect(session.jupyterUrl).toBe(`${session.apiBase}?token=${session.accessToken}`);
    const reader = createPublicClient({ transport: http(stack.rpcUrl) });
    const onChain = await reader.readContract({
      address: stack.hubAddress as Address,
      abi: cce4longHubAbi,
      functionName: "getExploreSession",
      args: [datasetId, session.sessionId],
    });
    expect(onChain.status).toBe(ExploreSessionStatus.Open);
    expect(onChain.consumer.toLowerCase()).toBe(consumer.address.toLowerCase());
  });

  it("refuses a consumer without a rental and a dataset that is not registered", async () => {
    expect((await open(account(7).address)).status).toBe(403);
    const res = await fetch(`${baseUrl}/v1/explore/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cce4long-caller": consumer.address },
      body: JSON.stringify({ datasetId: `0x${"12".repeat(32)}` }),
    });
    expect(res.status).toBe(404);
  });

  it("refuses unauthenticated requests and another user's token", async () => {
    const res = await open(secondConsumer.address);
    expect(res.status).toBe(201);
    other = (await res.json()) as ExploreSession;
    expect((await fetch(`${session.apiBase}api/status`)).status).toBe(401);
    expect((await fetch(`${session.apiBase}api/status`, { headers: bearer(other) })).status).toBe(401);
    expect(
      (
        await fetch(`${session.apiBase}api/status`, {
          headers: { authorization: "Bearer not-a-token-at-all" },
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${session.apiBase}api/status`, { headers: bearer(session) })).status).toBe(200);
    // Another user's token cannot close the session either.
    const close = await fetch(`${baseUrl}/v1/explore/sessions/${session.sessionId}`, {
      method: "DELETE",
      headers: bearer(other),
    });
    expect(close.status).toBe(401);
  });

  it("refuses a kernel WebSocket without the session's token", async () => {
    const kernels = await fetch(`${session.apiBase}api/kernels`, {
      method: "POST",
      headers: bearer(session),
    });
    expect(kernels.status).toBe(201);
    kernelId = ((await kernels.json()) as { id: string }).id;
    const url = `${session.apiBase.replace(/^http/, "ws")}api/kernels/${kernelId}/channels`;
    for (const init of [{}, { headers: bearer(other) }]) {
      const ws = new WebSocket(url, init as never);
      const outcome = await new Promise<string>((resolve) => {
        ws.onopen = () => resolve("open");
        ws.onerror = () => resolve("refused");
      });
      expect(outcome).toBe("refused");
    }
  });

  it("swaps the browser URL's token for a session cookie", async () => {
    const res = await fetch(session.jupyterUrl, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(new URL(session.apiBase).pathname);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain(`Path=/v1/explore/sessions/${session.sessionId}/`);
    const tree = await fetch(`${session.apiBase}tree`, { headers: { cookie: cookie.split(";")[0]! } });
    expect(tree.status).toBe(200);
  });

  it("runs a notebook cell over the sample through the kernel", async () => {
    const out = await runCell(
      session,
      kernelId,
      [
        "import pandas as pd, json",
        "df = pd.read_csv('/data/sample.csv')",
        "print(json.dumps({'rows': len(df), 'columns': list(df.columns), 'mean_age_band': str(df['age_at_baseline'].mode()[0])}))",
      ].join("\n"),
    );
    const result = JSON.parse(out.trim()) as { rows: number; columns: string[] };
    expect(result.rows).toBeGreaterThan(100);
    expect(result.columns).toContain("epigenetic_clock_age");
    expect(result.columns).not.toContain("full_name");
    expect(result.columns).not.toContain("postcode");
  });

  it("cannot reach the full data from the kernel: only the sample is mounted", async () => {
    const out = await runCell(
      session,
      kernelId,
      [
        "import os, json",
        "found = []",
        "for root, dirs, files in os.walk('/'):",
        "    if root.startswith(('/proc', '/sys', '/dev', '/usr')): dirs[:] = []; continue",
        "    found += [os.path.join(root, f) for f in files]",
        `print(json.dumps({'data': sorted(os.listdir('/data')), 'files': found, 'host': [os.path.exists(p) for p in ${JSON.stringify([stateDir, stack.stateDir, "/work", "/root"])}]}))`,
      ].join("\n"),
    );
    const result = JSON.parse(out.trim()) as { data: string[]; files: string[]; host: boolean[] };
    expect(result.data).toEqual(["sample-report.json", "sample.csv"]);
    expect(result.host).toEqual([false, false, false, false]);
    const names = identifierValues.slice(0, 5);
    const readable = await runCell(
      session,
      kernelId,
      [
        "import json",
        "text = ''",
        `for p in ${JSON.stringify(["/data/sample.csv", "/data/sample-report.json"])}:`,
        "    text += open(p).read()",
        `print(json.dumps([n in text for n in ${JSON.stringify(names)}] + ['full_name,' in text]))`,
      ].join("\n"),
    );
    expect(JSON.parse(readable.trim())).toEqual([false, false, false, false, false, false]);
    expect(result.files.filter((f) => f.endsWith(".sealed") || f.includes("cohort"))).toEqual([]);
  });

  it("cannot open a network connection from the kernel", async () => {
    const port = new URL(baseUrl).port;
    const out = await runCell(
      session,
      kernelId,
      [
        "import socket, json",
        "results = {}",
        `for name, target in [('privacy-plane', ('127.0.0.1', ${port})), ('object-store', ('127.0.0.1', ${new URL(stack.objectStore).port})), ('internet', ('1.1.1.1', 443))]:`,
        "    try:",
        "        socket.create_connection(target, timeout=2).close(); results[name] = 'connected'",
        "    except OSError as e:",
        "        results[name] = type(e).__name__",
        "try:",
        "    socket.getaddrinfo('example.com', 443); results['dns'] = 'resolved'",
        "except OSError as e:",
        "    results['dns'] = type(e).__name__",
        "print(json.dumps(results))",
      ].join("\n"),
    );
    const results = JSON.parse(out.trim()) as Record<string, string>;
    for (const value of Object.values(results)) expect(value).not.toMatch(/connected|resolved/);
  });

  it("closes the notebook server's own download paths", async () => {
    await runCell(session, kernelId, "open('/output/notes.csv', 'w').write('a,b\\n1,2\\n')");
    for (const path of [
      "files/notes.csv",
      "nbconvert/html/x.ipynb",
      "view/notes.csv",
      "api/contents/notes.csv",
    ]) {
      const res = await fetch(`${session.apiBase}${path}`, { headers: bearer(session) });
      expect(res.status, path).toBe(403);
    }
    const listing = await fetch(`${session.apiBase}api/contents`, { headers: bearer(session) });
    expect(listing.status).toBe(200);
    const names = ((await listing.json()) as { content: { name: string }[] }).content.map((c) => c.name);
    expect(names).toContain("notes.csv");
    expect(names).not.toContain(".cce4long");
  });

  it("takes a safe table out through the Output Gate and holds back a disclosive one", async () => {
    await runCell(
      session,
      kernelId,
      [
        "import pandas as pd",
        "df = pd.read_csv('/data/sample.csv')",
        "t = df.groupby('sex').size().reset_index(name='n')",
        "t.to_csv('/output/by_sex.csv', index=False)",
        "pd.DataFrame({'sex': ['F', 'M'], 'n': [3, 4]}).to_csv('/output/small.csv', index=False)",
        "import os; os.symlink('/etc/passwd', '/output/passwd.csv')",
      ].join("\n"),
    );
    const safe = await exportFile(session, "by_sex.csv");
    expect(safe.status).toBe(200);
    const answer = (await safe.json()) as ExploreExportResponse;
    expect(answer.decision).toBe("auto-approved");
    expect(answer.review).toBeUndefined();
    expect(Buffer.from(answer.contentBase64 ?? "", "base64").toString()).toMatch(/^sex,n\nF,\d+\nM,\d+\n$/);
    // Held for review, it is queued only with a key to encrypt an approved export to; nothing is recorded before.
    const keyless = await exportFile(session, "small.csv");
    expect(keyless.status).toBe(422);
    expect(((await keyless.json()) as { code: string }).code).toBe("VALIDATION_FAILED");
    const small = await exportFile(session, "small.csv", resultKey.publicKey);
    expect(small.status).toBe(202);
    const held = (await small.json()) as ExploreExportResponse;
    expect(held.released).toBe(false);
    expect(held.contentBase64).toBeUndefined();
    expect(held.report.files[0]!.findings.map((f) => f.rule)).toContain("disclosure.small_cell");
    expect(held.review).toMatchObject({ state: "needs-review" });
    heldExport = held.review!;
    expect((await exportFile(session, "passwd.csv")).status).toBe(404);
    const unauthenticated = await fetch(`${baseUrl}/v1/explore/sessions/${session.sessionId}/exports`, {
      method: "POST",
      headers: { ...bearer(other), "content-type": "application/json" },
      body: "{}",
    });
    expect(unauthenticated.status).toBe(401);
  });

  it("queues the held export for the dataset's reviewers only, recorded on-chain", async () => {
    const exportId = heldExport.exportId as Hex;
    expect(await hubRead<number>("jobStatus", [exportId])).toBe(JobStatus.UnderReview);
    const job = await hubRead<{ consumer: Address; datasetId: Hex; specCommitment: Hex }>("getJob", [
      exportId,
    ]);
    expect(job.consumer.toLowerCase()).toBe(consumer.address.toLowerCase());
    expect(job.specCommitment.toLowerCase()).toBe(session.sessionId.toLowerCase());
    const queue = await pp(`/v1/reviews?datasetId=${datasetId}`, reviewer.address);
    expect(queue.status).toBe(200);
    expect(queue.json.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          jobId: exportId,
          source: "explore-export",
          exploreSessionId: session.sessionId.toLowerCase(),
        }),
      ]),
    );
    expect((await pp(`/v1/reviews?datasetId=${datasetId}`, outsider.address)).status).toBe(403);
    expect((await pp(`/v1/reviews/${exportId}`, outsider.address)).status).toBe(403);
    const foreign = await decide(outsider, heldExport, "approve", "1");
    expect(foreign.status).toBe(403);
    expect(await hubRead<number>("jobStatus", [exportId])).toBe(JobStatus.UnderReview);
  });

  it("delivers an export the reviewer approved once, encrypted to the consumer's key", async () => {
    const exportId = heldExport.exportId as Hex;
    const approved = await decide(reviewer, heldExport, "approve", "11");
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    expect(approved.json.state).toBe("released");
    expect(await hubRead<number>("jobStatus", [exportId])).toBe(JobStatus.ResultReleased);
    const manifestBytes = results.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.manifest(exportId)}`);
    const verified = await verifyManifestOffline(JSON.parse(new TextDecoder().decode(manifestBytes)), {
      expectedJobId: exportId,
    });
    expect(verified.manifest.reviews.map((r) => r.reviewer.toLowerCase())).toEqual([
      reviewer.address.toLowerCase(),
    ]);
    const releasedLogs = await createPublicClient({ transport: http(stack.rpcUrl) }).getContractEvents({
      address: stack.hubAddress as Address,
      abi: cce4longHubAbi,
      eventName: "JobResultReleased",
      args: { jobId: exportId },
      fromBlock: 0n,
    });
    expect(releasedLogs.map((l) => (l.args as { resultManifestHash: Hex }).resultManifestHash)).toEqual([
      verified.manifestHash,
    ]);
    const envelope = results.objects.get(
      `${BUCKETS.results}/${RESULT_OBJECT_KEYS.output(exportId, "small.csv")}`,
    );
    const plain = await openResultFile(
      resultKey.privateKey,
      { jobId: exportId, datasetId, path: "small.csv" },
      envelope ?? new Uint8Array(),
    );
    expect(new TextDecoder().decode(plain)).toBe("sex,n\nF,3\nM,4\n");
    // The consumer's own check, as `cce4long manifest verify` runs it against the chain.
    const work = mkdtempSync(join(tmpdir(), "cce4long-explore-result-"));
    try {
      mkdirSync(join(work, "outputs"));
      writeFileSync(join(work, "manifest.json"), manifestBytes ?? new Uint8Array());
      writeFileSync(join(work, "outputs", "small.csv"), envelope ?? new Uint8Array());
      writeFileSync(join(work, "result.key"), Buffer.from(resultKey.privateKey).toString("hex"), {
        mode: 0o600,
      });
      const { code, stdout } = await cli([
        "--json",
        "--rpc-url",
        stack.rpcUrl,
        "--hub",
        stack.hubAddress,
        "manifest",
        "verify",
        join(work, "manifest.json"),
        "--outputs",
        join(work, "outputs"),
        "--result-key",
        join(work, "result.key"),
        "--job",
        exportId,
      ]);
      expect(code, stdout).toBe(0);
      expect(JSON.parse(stdout).checks).toEqual(
        expect.arrayContaining(["signer-authorized", "result-released-record", "explore-export-record"]),
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // Nothing is released twice: a second decision and a second release are refused.
    expect((await decide(reviewer, heldExport, "approve", "12")).status).toBe(409);
    await expect(reviews.release(exportId)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("never delivers an export the reviewer rejected", async () => {
    await runCell(
      session,
      kernelId,
      "pd.DataFrame({'sex': ['F', 'M'], 'n': [1, 2]}).to_csv('/output/tiny.csv', index=False)",
    );
    // Through the CLI this time: `cce4long explore export` makes the result key itself.
    const work = mkdtempSync(join(tmpdir(), "cce4long-explore-cli-"));
    let item: HeldExport;
    try {
      writeFileSync(
        join(work, "output.json"),
        JSON.stringify({
          kind: "frequency_table",
          path: "tiny.csv",
          description: "participants by sex",
          format: "csv",
          countColumn: "n",
          dimensionColumns: ["sex"],
        }),
      );
      const sessionUrl = `${baseUrl}/v1/explore/sessions/${session.sessionId}`;
      const exported = await cli([
        "--json",
        "explore",
        "export",
        sessionUrl,
        "--token",
        session.accessToken,
        "--output",
        join(work, "output.json"),
        "--result-key-out",
        join(work, "tiny.key"),
      ]);
      expect(exported.code, exported.stdout).toBe(0);
      const answer = JSON.parse(exported.stdout) as ExploreExportResponse;
      expect(answer.decision).toBe("needs-review");
      item = answer.review!;
      expect((statSync(join(work, "tiny.key")).mode & 0o777).toString(8)).toBe("600");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const rejected = await decide(reviewer, item, "reject", "21");
    expect(rejected.status, JSON.stringify(rejected.json)).toBe(200);
    expect(rejected.json.state).toBe("rejected");
    const exportId = item.exportId as Hex;
    expect(await hubRead<number>("jobStatus", [exportId])).toBe(JobStatus.Rejected);
    await expect(reviews.release(exportId)).rejects.toMatchObject({ code: "JOB_INVALID_STATE" });
    expect([...results.objects.keys()].filter((k) => k.includes(exportId))).toEqual([]);
  });

  it("tears the session down on close and records it on-chain", async () => {
    const res = await fetch(`${baseUrl}/v1/explore/sessions/${session.sessionId}`, {
      method: "DELETE",
      headers: bearer(session),
    });
    expect(res.status).toBe(204);
    expect((await fetch(`${session.apiBase}api/status`, { headers: bearer(session) })).status).toBe(401);
    const reader = createPublicClient({ transport: http(stack.rpcUrl) });
    const onChain = await reader.readContract({
      address: stack.hubAddress as Address,
      abi: cce4longHubAbi,
      functionName: "getExploreSession",
      args: [datasetId, session.sessionId],
    });
    expect(onChain.status).toBe(ExploreSessionStatus.Closed);
    expect(sessions.size).toBe(1);
    // Only the other consumer's session is still mounted.
    expect(existsSync(stateDir)).toBe(true);
    expect(
      readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .filter((l) => l.includes(stateDir)),
    ).toHaveLength(1);
  });
});
