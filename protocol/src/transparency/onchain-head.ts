/**
 * The transparency log's head on-chain (runs anywhere): read the committed (size, root) from the hub's
 * TransparencyLog module, and commit a new head (owner only; the hub refuses shrinking or forked heads).
 */
import type { Account, Address, Chain, Hex, PublicClient, WalletClient } from "viem";
import { cce4longHubAbi } from "../chain/generated/index";
import { Cce4longError } from "../errors/index";
import type { LogHead } from "./proofs";

/** The latest head committed on-chain (size 0 and a zero root before the first commit). */
export async function readCommittedLogHead(
  client: Pick<PublicClient, "readContract">,
  hub: Address,
): Promise<LogHead> {
  let result: readonly [bigint, Hex];
  try {
    result = (await client.readContract({
      address: hub,
      abi: cce4longHubAbi,
      functionName: "transparencyLogHead",
    })) as readonly [bigint, Hex];
  } catch (cause) {
    throw new Cce4longError("CHAIN_UNREACHABLE", "cannot read the transparency log head from the chain", {
      cause,
    });
  }
  return { treeSize: Number(result[0]), rootHash: result[1].toLowerCase() as Hex };
}

/** Commits `head` on-chain and waits for it to be mined; returns the transaction hash. */
export async function commitLogHead(
  params: {
    wallet: WalletClient;
    publicClient: Pick<PublicClient, "waitForTransactionReceipt">;
    hub: Address;
    account?: Account;
    chain?: Chain;
  },
  head: LogHead,
): Promise<Hex> {
  const account = params.account ?? params.wallet.account;
  if (!account) throw new Cce4longError("CONFIG_INVALID", "committing a log head needs the owner's account");
  const hash = await params.wallet.writeContract({
    address: params.hub,
    abi: cce4longHubAbi,
    functionName: "commitTransparencyLogHead",
    args: [BigInt(head.treeSize), head.rootHash],
    account,
    chain: params.chain ?? params.wallet.chain ?? null,
  });
  const receipt = await params.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new Cce4longError("CHAIN_REVERTED", "committing the transparency log head reverted", {
      detail: { hash },
    });
  }
  return hash;
}
