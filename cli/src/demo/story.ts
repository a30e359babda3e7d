/**
 * The cce4long story, end to end (runs on the user's machine against a running platform): the
 * same code drives `npm run demo` and the automated test in test/e2e/. Every step checks what it
 * claims; the first failure stops the story.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  type AuditTrailResponse,
  type DatasetDetail,
  type ExploreSession,
  type JobResult,
  JobStatus,
  type ListDatasetsResponse,
  type ReviewQueueResponse,
} from "@cce4long/protocol";
import { type Hex, parseEther } from "viem";
import { localAccount } from "../../../contracts/scripts/local-accounts";
import { createQuoteVerifier } from "../../../enclave-runtime/src/attestation/create-quote-verifier";
import { CollateralCache } from "../../../enclave-runtime/src/attestation/tdx/collateral-cache";
import { writeCohort } from "../cohort/write";
import { metadataDocument } from "../commands/dataset";
import type { Endpoints } from "../context";
import { run as runCli } from "../main";
import { ApiClient } from "../sdk/api-client";
import { exportFromSession } from "../sdk/explore-export";
import { createHubClient } from "../sdk/hub-client";
import { runCell, startKernel } from "../sdk/jupyter";
import { signReviewDecision } from "../sdk/review";
import { uploadDataset } from "../sdk/upload";
import { requestExampleJob, statusName, waitForJob } from "./jobs";
import type { Narrator } from "./narrator";

export interface StoryOptions {
  endpoints: Endpoints;
  narrator: Narrator;
  participants: number;
  seed?: bigint;
}

export interface StoryOutcome {
  datasetId: Hex;
  auditEvents: string[];
}

export async function runStory(options: StoryOptions): Promise<StoryOutcome> {
  const { endpoints, narrator } = options;
  const work = mkdtempSync(join(tmpdir(), "cce4long-demo-"));
  const provider = localAccount("provider");
  const consumer = localAccount("consumer");
  const reviewer = localAccount("reviewer");
  try {
    const cohort = await narrator.step(
      "A biobank prepares its cohort",
      `The provider has ${options.participants.toLocaleString("en-US")} participants with identifiers, biomarkers, an epigenetic clock and follow-up (synthetic, seeded).`,
      () =>
        writeCohort({
          participants: options.participants,
          seed: options.seed ?? 20261121n,
          format: "csv",
          out: join(work, "cohort.csv"),
        }),
      (s) =>
        `${s.participants.toLocaleString("en-US")} rows, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.deaths.toLocaleString("en-US")} deaths`,
    );

    const providerHub = createHubClient(endpoints, provider);
    const { datasetId } = await narrator.step(
      "The provider registers the dataset on-chain",
      "Price, rental period, a named reviewer for the Output Gate, and Explore Mode on; anyone can see this record.",
      () => {
        const metadata = metadataDocument(
          "Longevity cohort (synthetic)",
          "Biomarkers, epigenetic clock age and mortality follow-up",
        );
        return providerHub.registerDataset({
          metadataHash: metadata.hash,
          metadataUri: metadata.uri,
          terms: {
            pricePerPeriod: parseEther("0.05"),
            periodSeconds: 30 * 86_400,
            exploreOffered: true,
            freePreview: false,
          },
          reviewers: [reviewer.address],
        });
      },
      (r) => `dataset ${r.datasetId}`,
    );

    const api = new ApiClient({ baseUrl: endpoints.api });
    await narrator.step(
      "A researcher signs in with a wallet and browses the catalogue",
      "Sign-in with Ethereum (EIP-4361) gives a short-lived consumer token; the catalogue comes from the chain.",
      async () => {
        await api.signIn(consumer, { chainId: endpoints.chainId });
        const page = await api.request<ListDatasetsResponse>("GET", "/v1/datasets");
        if (!page.datasets.some((d) => d.datasetId === datasetId))
          throw new Error("the new dataset is not in the catalogue");
        const detail = await api.request<DatasetDetail>("GET", `/v1/datasets/${datasetId}`);
        if (!detail.reviewers.map((r) => r.toLowerCase()).includes(reviewer.address.toLowerCase())) {
          throw new Error("the catalogue does not show the dataset's reviewer");
        }
        return page.datasets.length;
      },
      (n) => `${n} dataset(s) listed; reviewer shown`,
    );

    const consumerHub = createHubClient(endpoints, consumer);
    await narrator.step(
      "The researcher rents the dataset",
      "One rental period, paid on-chain; the provider earns, and every part of cce4long now sees an active rental.",
      async () => {
        const rental = await consumerHub.rent(datasetId, 1);
        if (!(await consumerHub.isRentalActive(datasetId, consumer.address)))
          throw new Error("rental not active after renting");
        return rental;
      },
      (r) => `active until ${new Date(Number(r.expiresAt) * 1000).toISOString()}`,
    );

    const providerApi = new ApiClient({ baseUrl: endpoints.api });
    await narrator.step(
      "The provider uploads the cohort, end-to-end encrypted",
      "The client checks the Privacy Plane's attestation, encrypts to its ingest key (HPKE) and uploads ciphertext through presigned URLs; inside the TEE it is re-encrypted under the dataset key and the version's manifest root is committed on-chain.",
      async () => {
        await providerApi.signIn(provider, {
          chainId: endpoints.chainId,
          role: { kind: "provider", datasetId },
        });
        const status = await uploadDataset({
          api: providerApi,
          provider,
          chainId: endpoints.chainId,
          hub: endpoints.hub,
          datasetId,
          files: [{ path: "cohort.csv", source: cohort.out }],
          verifier: createQuoteVerifier({
            deployment: "development",
            tdx: { collateral: new CollateralCache() },
          }),
          stateFile: join(work, "upload-state.json"),
          waitMs: 240_000,
        });
        const onChain = await providerHub.getDataset(datasetId);
        if (Number(onChain.versionCount) < 1) throw new Error("no dataset version committed on-chain");
        return { status, versions: Number(onChain.versionCount) };
      },
      (r) => `version ${r.versions} committed on-chain (${r.status.state ?? "ingested"})`,
    );

    const explored = await narrator.step(
      "The researcher explores a desensitized sample in Jupyter",
      "A fresh sandboxed notebook server over the k-anonymous sample (no identifiers, generalized quasi-identifiers), no network; opening and closing are recorded on-chain. A note taken out of the session passes the Output Gate: free text is held for a reviewer.",
      async () => {
        const session = await api.request<ExploreSession>("POST", "/v1/explore/sessions", { datasetId });
        const kernel = await startKernel(session);
        const out = await runCell(
          session,
          kernel,
          "import pandas as pd, socket, os\n" +
            "d = pd.read_csv('/data/sample.csv')\n" +
            "print(len(d), 'full_name' in d.columns, 'medical_record_number' in d.columns)\n" +
            "print(sorted(os.listdir('/data')))\n" +
            "try:\n  socket.create_connection(('1.1.1.1', 443), timeout=2); print('network: OPEN')\n" +
            "except OSError:\n  print('network: blocked')\n",
        );
        const [counts, listing, network] = out.trim().split("\n");
        const [rows, hasName, hasMrn] = (counts ?? "").split(" ");
        if (!(Number(rows) > 0) || hasName !== "False" || hasMrn !== "False")
          throw new Error(`unexpected sample: ${out}`);
        if (listing?.includes("cohort.csv")) throw new Error("the full dataset is visible in the session");
        if (network !== "network: blocked") throw new Error(`the session has network: ${out}`);
        const sessionUrl = `${new URL(session.apiBase).origin}/v1/explore/sessions/${session.sessionId}`;
        const note = `Pilot look at the sample: ${Number(rows)} rows; every age band has follow-up.\n`;
        await runCell(session, kernel, `open('/output/notes.md', 'w').write(${JSON.stringify(note)})\n`);
        const exportKeyFile = join(work, "export.key");
        const held = await exportFromSession({
          sessionUrl,
          token: session.accessToken,
          output: { kind: "free_text", path: "notes.md", description: "pilot notes", format: "md" },
          resultKeyFile: exportKeyFile,
        });
        if (held.review === undefined || held.contentBase64 !== undefined)
          throw new Error(`the gate let a free-text note out without review (${held.decision})`);
        const close = await fetch(sessionUrl, {
          method: "DELETE",
          headers: { authorization: `Bearer ${session.accessToken}` },
        });
        if (!close.ok) throw new Error(`closing the session failed: HTTP ${close.status}`);
        return {
          rows: Number(rows),
          startMs: session.startMs,
          note,
          exportId: held.review.exportId as Hex,
          exportKeyFile,
        };
      },
      (r) =>
        `${r.rows} sample rows, no identifiers, no network; session started in ${r.startMs} ms; ` +
        `note held for review as ${r.exportId.slice(0, 10)}…`,
    );

    const jobContext = { datasetId, consumerApi: api, consumerHub, providerHub, workDir: work };
    /** The dataset's reviewer, signed in through the edge API, finds the item in its queue and decides. */
    const reviewerDecides = async (jobId: Hex, decision: "approve" | "reject", reason: string) => {
      const reviewerApi = new ApiClient({ baseUrl: endpoints.api });
      await reviewerApi.signIn(reviewer, {
        chainId: endpoints.chainId,
        role: { kind: "reviewer", datasetId },
      });
      const queue = await reviewerApi.request<ReviewQueueResponse>(
        "GET",
        `/v1/reviews?datasetId=${datasetId}`,
      );
      const item = queue.items.find((i) => String(i.jobId) === jobId);
      if (item === undefined) throw new Error(`${jobId} is not in the reviewer's queue`);
      const signed = await signReviewDecision(reviewer, {
        chainId: endpoints.chainId,
        hub: endpoints.hub,
        jobId,
        datasetId,
        outputsCommitment: String(item.outputsCommitment) as Hex,
        decision,
        reason,
      });
      await reviewerApi.request("POST", `/v1/reviews/${jobId}/decision`, signed);
    };
    const survival = await narrator.step(
      "The researcher runs a survival analysis in Privacy Mode",
      "Kaplan-Meier by age band and a Cox model on clock-age acceleration: requested on-chain, run in an attested sandbox on the full data with no network, outputs checked by the Output Gate.",
      async () => {
        const job = await requestExampleJob({ example: "survival-analysis", ...jobContext });
        const status = await waitForJob(consumerHub, job.jobId, {
          until: [JobStatus.ResultReleased, JobStatus.UnderReview, JobStatus.Rejected],
        });
        if (status !== JobStatus.ResultReleased)
          throw new Error(`the gate did not auto-approve the aggregates (job ${statusName(status)})`);
        return job;
      },
      (job) => `job ${job.jobId.slice(0, 10)}… auto-approved by the gate and released`,
    );

    await narrator.step(
      "The researcher downloads, decrypts and verifies the result",
      "Short-lived download URLs; the outputs are encrypted to the researcher's result key; `cce4long manifest verify` checks the signed Result Manifest against the chain and every file's hash.",
      async () => {
        const result = await api.request<JobResult>("GET", `/v1/jobs/${survival.jobId}/result`);
        const dir = join(work, "result");
        mkdirSync(dir, { recursive: true });
        const manifestFile = join(work, "manifest.json");
        writeFileSync(manifestFile, JSON.stringify(result.manifest));
        for (const file of result.downloads) {
          const response = await fetch(file.url);
          if (!response.ok) throw new Error(`download of ${file.path} failed: HTTP ${response.status}`);
          mkdirSync(dirname(join(dir, file.path)), { recursive: true });
          writeFileSync(join(dir, file.path), Buffer.from(await response.arrayBuffer()));
        }
        const code = await runCli([
          "--rpc-url",
          endpoints.rpcUrl,
          "--hub",
          endpoints.hub,
          "manifest",
          "verify",
          manifestFile,
          "--outputs",
          dir,
          "--result-key",
          survival.resultKeyFile,
          "--job",
          survival.jobId,
        ]);
        if (code !== 0) throw new Error(`manifest verification failed (exit ${code})`);
        return result.downloads.length;
      },
      (n) => `${n} files; signature, on-chain record and hashes all check out`,
    );

    await narrator.step(
      "A job that tries to leak raw rows is stopped at the gate",
      "It copies participants' rows into its outputs, reordered, rounded and re-separated; the gate recognises them by keyed fingerprints made at ingest and rejects the outputs: nothing is released.",
      async () => {
        const job = await requestExampleJob({ example: "leak-rows", ...jobContext });
        const status = await waitForJob(consumerHub, job.jobId, {
          until: [JobStatus.Rejected, JobStatus.UnderReview, JobStatus.ResultReleased],
        });
        if (status !== JobStatus.Rejected)
          throw new Error(`the leaking job was not rejected (job ${statusName(status)})`);
        return job.jobId;
      },
      (jobId) => `job ${jobId.slice(0, 10)}… rejected by the gate's rules`,
    );

    await narrator.step(
      "A free-text output goes to a human reviewer, who rejects it",
      "A job that probes the network (every attempt is blocked) writes a free-text report; free text always goes to review. The dataset's reviewer signs a rejection with a reason (EIP-712); the decision is recorded on-chain.",
      async () => {
        const job = await requestExampleJob({ example: "network-probe", ...jobContext });
        await waitForJob(consumerHub, job.jobId, { until: [JobStatus.UnderReview] });
        await reviewerDecides(
          job.jobId,
          "reject",
          "Free-text network diagnostics are not needed for the analysis and are not released.",
        );
        const status = await waitForJob(consumerHub, job.jobId, { until: [JobStatus.Rejected] });
        return statusName(status);
      },
      (s) => `reviewer's signed decision recorded; job ${s}`,
    );

    await narrator.step(
      "The reviewer approves the researcher's Explore note, which reaches the researcher encrypted",
      "The held note is in the same reviewer queue as job outputs. The reviewer signs an approval with a reason; the Privacy Plane encrypts the note to the researcher's key and signs its Result Manifest; `cce4long job result` downloads, verifies and decrypts it.",
      async () => {
        await reviewerDecides(
          explored.exportId,
          "approve",
          "A one-line description of the sample; no values of any participant.",
        );
        await waitForJob(consumerHub, explored.exportId, { until: [JobStatus.ResultReleased] });
        const out = join(work, "explore-note");
        const code = await runCli([
          "--api",
          endpoints.api,
          "--rpc-url",
          endpoints.rpcUrl,
          "--hub",
          endpoints.hub,
          "--chain-id",
          String(endpoints.chainId),
          "--as",
          "consumer",
          "job",
          "result",
          explored.exportId,
          "--out",
          out,
          "--result-key",
          explored.exportKeyFile,
        ]);
        if (code !== 0) throw new Error(`fetching the approved note failed (exit ${code})`);
        if (readFileSync(join(out, "outputs", "notes.md"), "utf8") !== explored.note)
          throw new Error("the delivered note is not what the notebook wrote");
        return explored.exportId;
      },
      (id) => `export ${id.slice(0, 10)}… approved, delivered once, manifest verified, decrypted`,
    );

    const audit = await narrator.step(
      "Anyone reads the dataset's on-chain audit trail",
      "Every operation on the dataset is an event with its id indexed: one query returns its whole history.",
      async () => {
        const trail = await api.request<AuditTrailResponse>("GET", `/v1/datasets/${datasetId}/audit`);
        const names = trail.events.map((e) => e.eventName);
        for (const expected of [
          "DatasetRegistered",
          "RentalStarted",
          "DatasetVersionCommitted",
          "ExploreSessionOpened",
          "ExploreSessionClosed",
          "ExploreExportSubmitted",
          "JobKeyReleased",
          "JobResultReleased",
        ]) {
          if (!names.some((n) => n === expected))
            throw new Error(`the audit trail lacks ${expected} (has ${names.join(", ")})`);
        }
        for (const e of trail.events) narrator.say(`block ${e.blockNumber}: ${e.eventName}`);
        return names;
      },
      (names) => `${names.length} events`,
    );
    return { datasetId, auditEvents: audit };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
