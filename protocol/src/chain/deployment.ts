/**
 * The deployment file every part reads to find the chain contracts (runs anywhere).
 * Written by contracts/scripts/deploy.ts; parsed once at start-up with `parseDeployment`.
 */
import { type Address, getAddress, type Hex } from "viem";
import { z } from "zod";
import { Cce4longError } from "../errors/index";

const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte 0x-hex address")
  .transform((value): Address => getAddress(value));

const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of 0x-hex")
  .transform((value): Hex => value.toLowerCase() as Hex);

/** One deployed contract: where it is, what code it must have, from which block to read its logs. */
export const DeployedContractSchema = z.object({
  address: AddressSchema,
  /** keccak256 of the runtime code (compare with `eth_getCode`). */
  codeHash: Bytes32Schema,
  /** Block of the deployment: the `fromBlock` of every audit query. */
  deployedBlock: z.number().int().nonnegative(),
});

export const DeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  contracts: z.object({ hub: DeployedContractSchema }),
});

export type DeployedContract = z.infer<typeof DeployedContractSchema>;
export type Deployment = z.infer<typeof DeploymentSchema>;

/** Parses a deployment file's JSON value; fails with CONFIG_INVALID naming the bad field. */
export function parseDeployment(value: unknown): Deployment {
  const parsed = DeploymentSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new Cce4longError("CONFIG_INVALID", `deployment file invalid: ${issues.join("; ")}`);
  }
  return parsed.data;
}
