/**
 * Reads a file the consumer wants to take out of a session (runs inside the TEE). Only plain files directly
 * in the notebook folder: the folder is the sandbox's bind-mount point, which the sandbox cannot replace, and
 * the file is opened with O_NOFOLLOW, so a symlink planted by the consumer's code cannot make the Privacy
 * Plane read a host file. Bytes then go to the Output Gate like any job output.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export async function readExportFile(workDir: string, name: string, maxBytes: number): Promise<Uint8Array> {
  if (!NAME.test(name) || name.includes("..")) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "Export a file directly in the notebook folder (letters, digits, '.', '_', '-'); copy it there first",
    );
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(
      join(workDir, name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (cause) {
    throw new Cce4longError("NOT_FOUND", "No such file in the notebook folder", { cause, detail: { name } });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Cce4longError("VALIDATION_FAILED", "Only regular files can be exported");
    if (info.size > maxBytes) {
      throw new Cce4longError(
        "PAYLOAD_TOO_LARGE",
        `The file is larger than the gate accepts (${maxBytes} bytes)`,
      );
    }
    const bytes = new Uint8Array(info.size);
    const { bytesRead } = await handle.read(bytes, 0, info.size, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
