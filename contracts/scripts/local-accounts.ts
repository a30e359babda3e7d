/**
 * The local role convention on anvil's default mnemonic (development and tests only; these keys are
 * public and must never hold value on a real chain).
 */
import type { Hex } from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

/** anvil's (and hardhat's) default development mnemonic. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of anvil account 0, the local owner and deployer. Public knowledge. */
export const ANVIL_ACCOUNT0_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** Which anvil account plays which part locally. */
export const LOCAL_ROLE_INDEX = {
  owner: 0,
  privacyPlaneSigner: 1,
  provider: 2,
  consumer: 3,
  reviewer: 4,
  secondConsumer: 5,
  secondProvider: 6,
} as const;

export type LocalRole = keyof typeof LOCAL_ROLE_INDEX;

/** The anvil account of a local role (signs locally, no RPC account management needed). */
export function localAccount(role: LocalRole): HDAccount {
  return mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: LOCAL_ROLE_INDEX[role] });
}
