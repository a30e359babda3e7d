/**
 * Local chain set-up (development only): deploys the hub idempotently and makes the local chain
 * trust this machine's Privacy Plane — the owner's job in production, done there after checking the
 * Privacy Plane's attestation. Its signer addresses are derived through the same dstack SDK path
 * the Privacy Plane uses (only public addresses leave; the keys are wiped), authorized, and the
 * recorder is funded for gas. The development measurement is allowed so that locally attested
 * boot agents can receive keys; it is a fixed, public, INSECURE value.
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { cce4longHubAbi, measurementId } from "@cce4long/protocol";
import { TransparencyLog } from "@cce4long/protocol/transparency/log";
import { TRANSPARENCY_ENTRY_API_VERSION } from "@cce4long/protocol/transparency/log-entry";
import { commitLogHead, readCommittedLogHead } from "@cce4long/protocol/transparency/onchain-head";
import type { LogHead } from "@cce4long/protocol/transparency/proofs";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseEther,
  zeroHash,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployContracts } from "../../../contracts/scripts/deploy";
import { ANVIL_ACCOUNT0_KEY } from "../../../contracts/scripts/local-accounts";
import {
  devBootEvents,
  devMrtd,
  replayRtmr,
} from "../../../enclave-runtime/src/insecure/dev-guest-agent/measurements";
import { fileLogStore } from "../../../enclave-runtime/src/transparency/file-log-store";

export interface ChainSetupOptions {
  rpcUrl: string;
  chainId: number;
  deploymentFile: string;
  guestAgentSocket: string;
  /** The local transparency log the Privacy Plane proves VM measurements against. */
  transparencyLogFile: string;
}

export interface ChainSetup {
  hub: Address;
  deployedBlock: number;
  privacyPlaneSigners: { chainRecorder: Address; resultManifest: Address };
  devMeasurementId: Hex;
}

/** Gas money the Privacy Plane's recorder keeps on the local chain. */
const RECORDER_FLOOR = parseEther("10");
const RECORDER_TOP_UP = parseEther("100");

export async function privacyPlaneSignerAddresses(
  guestAgentSocket: string,
): Promise<{ chainRecorder: Address; resultManifest: Address }> {
  const keys = new DstackKeyProvider({ endpoint: guestAgentSocket });
  const recorder = await keys.signingKey("chain-recorder");
  const manifest = await keys.signingKey("result-manifest");
  const addresses = { chainRecorder: recorder.address, resultManifest: manifest.address };
  recorder.wipe();
  manifest.wipe();
  return addresses;
}

/** The measurement id of boot agents attested by the development guest agent. */
export function developmentMeasurementId(): Hex {
  const boot = devBootEvents();
  const hex = (value: string) => `0x${value.replace(/^0x/, "")}` as Hex;
  return measurementId(
    hex(devMrtd()),
    hex(replayRtmr(boot, 0)),
    hex(replayRtmr(boot, 1)),
    hex(replayRtmr(boot, 2)),
  );
}

export async function setUpLocalChain(options: ChainSetupOptions): Promise<ChainSetup> {
  const signers = await privacyPlaneSignerAddresses(options.guestAgentSocket);
  const deployment = await deployContracts({
    rpcUrl: options.rpcUrl,
    deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
    outFile: options.deploymentFile,
    privacyPlaneSigners: [signers.chainRecorder, signers.resultManifest],
  });
  const hub = deployment.contracts.hub.address as Address;
  const chain = defineChain({
    id: options.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const owner = privateKeyToAccount(ANVIL_ACCOUNT0_KEY);
  const reader = createPublicClient({ chain, transport: http(options.rpcUrl) });
  const writer = createWalletClient({ account: owner, chain, transport: http(options.rpcUrl) });
  const confirm = async (hash: Hex) => {
    await reader.waitForTransactionReceipt({ hash });
  };

  // A kept deployment may predate this guest agent's root (e.g. .local/guest-agent was removed).
  for (const signer of [signers.chainRecorder, signers.resultManifest]) {
    const authorized = await reader.readContract({
      address: hub,
      abi: cce4longHubAbi,
      functionName: "isPrivacyPlaneSigner",
      args: [signer],
    });
    if (!authorized) {
      await confirm(
        await writer.writeContract({
          address: hub,
          abi: cce4longHubAbi,
          functionName: "setPrivacyPlaneSigner",
          args: [signer, true],
        }),
      );
    }
  }
  if ((await reader.getBalance({ address: signers.chainRecorder })) < RECORDER_FLOOR) {
    await confirm(await writer.sendTransaction({ to: signers.chainRecorder, value: RECORDER_TOP_UP }));
  }
  const devMeasurementId = developmentMeasurementId();
  const allowed = await reader.readContract({
    address: hub,
    abi: cce4longHubAbi,
    functionName: "isMeasurementAllowed",
    args: [zeroHash, devMeasurementId],
  });
  if (!allowed) {
    await confirm(
      await writer.writeContract({
        address: hub,
        abi: cce4longHubAbi,
        functionName: "setMeasurementAllowed",
        args: [zeroHash, devMeasurementId, true],
      }),
    );
  }
  await logDevelopmentMeasurement(options.transparencyLogFile, devMeasurementId, async (head) => {
    const committed = await readCommittedLogHead(reader, hub);
    if (committed.treeSize === head.treeSize && committed.rootHash === head.rootHash) return;
    await commitLogHead({ wallet: writer, publicClient: reader, hub, account: owner, chain }, head);
  });
  return {
    hub,
    deployedBlock: deployment.contracts.hub.deployedBlock,
    privacyPlaneSigners: signers,
    devMeasurementId,
  };
}

/**
 * Appends the development measurement to the local transparency log if it is not there, and has the
 * log's head committed on-chain, so key release (which checks the log) can serve local boot agents.
 * The entry is fixed (timestamp included), so a re-created log has the same root as before.
 */
async function logDevelopmentMeasurement(
  file: string,
  measurementId: Hex,
  commit: (head: LogHead) => Promise<void>,
): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const log = await TransparencyLog.open(fileLogStore(file));
  const logged = log
    .entries()
    .some(
      (e) => e.kind === "vm-measurement" && e.measurementId.toLowerCase() === measurementId.toLowerCase(),
    );
  if (!logged) {
    await log.append({
      apiVersion: TRANSPARENCY_ENTRY_API_VERSION,
      kind: "vm-measurement",
      loggedAt: "2026-01-01T00:00:00Z",
      measurementId: measurementId.toLowerCase(),
      origin: "development",
      note: "INSECURE development attester of the local platform; refused by production key release",
    });
  }
  await commit(log.head());
}
