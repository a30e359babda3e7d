/**
 * INSECURE development guest agent: its persistent state (runs on a developer machine only). A random
 * root secret stands in for dstack's KMS root key; it lives in `<stateDir>/dev-guest-agent-state.json`,
 * mode 0600 in a 0700 folder: the one place cce4long writes key material to disk, documented as such
 * in docs/key-management.md. Same file, same keys across restarts.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { secp256k1 } from "@noble/curves/secp256k1";
import { z } from "zod";

export const STATE_FILE_NAME = "dev-guest-agent-state.json";
const WARNING =
  "INSECURE DEVELOPMENT ROOT SECRET of the cce4long development guest agent. Every key it derives is only as secret as this file. Never use it for real data.";

const StateFileSchema = z.strictObject({
  warning: z.literal(WARNING),
  format: z.literal(1),
  /** Stands in for dstack's KMS root-k256 key (secp256k1 scalar). */
  root_k256_key: z.string().regex(/^[0-9a-f]{64}$/),
  /** Stands in for dstack's app id (20 bytes). Keys are bound to it, not to the measurement. */
  app_id: z.string().regex(/^[0-9a-f]{40}$/),
  created_at: z.iso.datetime(),
});

export interface DevAgentState {
  /** Secret: wipe when the agent stops. */
  rootKey: Uint8Array;
  appId: Uint8Array;
}

export function loadOrCreateState(stateDir: string): DevAgentState {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, STATE_FILE_NAME);
  if (!existsSync(file)) createState(file);
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      `Development guest agent state file is readable by others (mode ${mode.toString(8)}); it must be 0600`,
      { detail: { file } },
    );
  }
  let parsed: z.infer<typeof StateFileSchema>;
  try {
    parsed = StateFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (cause) {
    // The cause is a JSON or schema error naming fields, not values; the secret is not echoed.
    throw new Cce4longError("CONFIG_INVALID", "Development guest agent state file is malformed", {
      detail: { file },
      cause: cause instanceof z.ZodError ? cause.issues.map((issue) => issue.path.join(".")) : "not JSON",
    });
  }
  const rootKey = new Uint8Array(Buffer.from(parsed.root_k256_key, "hex"));
  if (!secp256k1.utils.isValidPrivateKey(rootKey)) {
    rootKey.fill(0);
    throw new Cce4longError(
      "CONFIG_INVALID",
      "Development guest agent root key is not a valid secp256k1 key",
      {
        detail: { file },
      },
    );
  }
  return { rootKey, appId: new Uint8Array(Buffer.from(parsed.app_id, "hex")) };
}

function createState(file: string): void {
  let root: Buffer;
  do root = randomBytes(32);
  while (!secp256k1.utils.isValidPrivateKey(root));
  const body = JSON.stringify(
    {
      warning: WARNING,
      format: 1,
      root_k256_key: root.toString("hex"),
      app_id: randomBytes(20).toString("hex"),
      created_at: new Date().toISOString(),
    },
    null,
    2,
  );
  root.fill(0);
  // Written to a private temporary name, then renamed: a crash leaves no half-written state file.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${body}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}
