/**
 * Deploys the cce4long hub to any RPC URL and writes the deployment file the other parts read
 * (developer machine, CI, `npm start`). Idempotent: an up-to-date deployment on the same chain is kept.
 * Script: `npx tsx contracts/scripts/deploy.ts --rpc-url URL --out FILE [--owner ADDR] [--signer ADDR]...`
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  cce4longHubAbi,
  cce4longHubBytecode,
  cce4longHubRuntimeCodeHash,
  type Deployment,
  parseDeployment,
} from "@cce4long/protocol/chain/index";
import { Cce4longError } from "@cce4long/protocol/errors/index";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  isAddress,
  keccak256,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ANVIL_ACCOUNT0_KEY, localAccount } from "./local-accounts";

/** The chain id of anvil, where the well-known development keys are acceptable defaults. */
export const DEVELOPMENT_CHAIN_ID = 31337;

export interface DeployOptions {
  rpcUrl: string;
  deployerPrivateKey: Hex;
  /** Where the deployment JSON is read from and written to (folders are created). */
  outFile: string;
  /** Policy owner; defaults to the deployer. */
  owner?: Address;
  /** Privacy Plane signer addresses authorized at deployment. */
  privacyPlaneSigners?: Address[];
}

/**
 * Returns the existing deployment when `outFile` names this chain and the code at its address is the
 * current hub; otherwise deploys the hub (authorizing the signers in its constructor) and writes `outFile`.
 */
export async function deployContracts(options: DeployOptions): Promise<Deployment> {
  const publicClient = createPublicClient({ transport: http(options.rpcUrl) });
  const chainId = await chainIdOf(publicClient, options.rpcUrl);
  const existing = await existingDeployment(publicClient, options.outFile, chainId);
  if (existing) return existing;

  const account = privateKeyToAccount(options.deployerPrivateKey);
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const wallet = createWalletClient({ account, chain, transport: http(options.rpcUrl) });
  const hash = await wallet.deployContract({
    abi: cce4longHubAbi,
    bytecode: cce4longHubBytecode,
    args: [options.owner ?? account.address, options.privacyPlaneSigners ?? []],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new Cce4longError("CHAIN_REVERTED", "hub deployment transaction reverted", { detail: { hash } });
  }
  const deployment = parseDeployment({
    chainId,
    contracts: {
      hub: {
        address: receipt.contractAddress,
        codeHash: cce4longHubRuntimeCodeHash,
        deployedBlock: Number(receipt.blockNumber),
      },
    },
  });
  writeJsonAtomically(options.outFile, deployment);
  return deployment;
}

async function chainIdOf(client: PublicClient, rpcUrl: string): Promise<number> {
  try {
    return await client.getChainId();
  } catch (cause) {
    throw new Cce4longError("CHAIN_UNREACHABLE", `cannot reach the chain at ${rpcUrl}`, { cause });
  }
}

/** The recorded deployment if it is for this chain and its code is the current hub's; else undefined. */
async function existingDeployment(
  client: PublicClient,
  outFile: string,
  chainId: number,
): Promise<Deployment | undefined> {
  if (!existsSync(outFile)) return undefined;
  let recorded: Deployment;
  try {
    recorded = parseDeployment(JSON.parse(readFileSync(outFile, "utf8")));
  } catch {
    return undefined; // unreadable or stale format: deploy afresh and overwrite it
  }
  if (recorded.chainId !== chainId || recorded.contracts.hub.codeHash !== cce4longHubRuntimeCodeHash) {
    return undefined;
  }
  const code = await client.getCode({ address: recorded.contracts.hub.address });
  if (!code || code === "0x" || keccak256(code) !== cce4longHubRuntimeCodeHash) return undefined;
  return recorded;
}

function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}

function requireAddress(value: string, flag: string): Address {
  if (!isAddress(value)) throw new Cce4longError("VALIDATION_FAILED", `${flag} is not an address: ${value}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "rpc-url": { type: "string" },
      out: { type: "string" },
      owner: { type: "string" },
      signer: { type: "string", multiple: true },
    },
  });
  const rpcUrl = values["rpc-url"];
  const out = values.out;
  if (!rpcUrl || !out) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "usage: deploy.ts --rpc-url URL --out FILE [--owner ADDR] [--signer ADDR]...",
    );
  }
  const chainId = await chainIdOf(createPublicClient({ transport: http(rpcUrl) }), rpcUrl);
  const development = chainId === DEVELOPMENT_CHAIN_ID;
  const key = process.env.CCE4LONG_DEPLOYER_KEY ?? (development ? ANVIL_ACCOUNT0_KEY : undefined);
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      `CCE4LONG_DEPLOYER_KEY must be a 0x-prefixed 32-byte hex key (no default on chain ${chainId})`,
    );
  }
  const signers = (values.signer ?? []).map((signer) => requireAddress(signer, "--signer"));
  const deployment = await deployContracts({
    rpcUrl,
    deployerPrivateKey: key as Hex,
    outFile: resolve(out),
    ...(values.owner ? { owner: requireAddress(values.owner, "--owner") } : {}),
    // On anvil, default to the local Privacy Plane signer (account 1) so `npm start` works as is.
    privacyPlaneSigners:
      signers.length > 0 || !development ? signers : [localAccount("privacyPlaneSigner").address],
  });
  console.log(JSON.stringify(deployment, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    // viem errors carry a short message; their full text repeats the whole bytecode.
    const short = (error as { shortMessage?: unknown }).shortMessage;
    console.error(typeof short === "string" ? short : error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
