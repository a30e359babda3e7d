/**
 * Replacing a file of the Privacy Plane's state folder atomically (runs inside the TEE): write a
 * temporary file beside it (mode 0600), fsync it, rename it over the target. A crash leaves the old
 * file or the new one, never a torn mix. The state folder is dstack's encrypted disk in production.
 */
import { open, rename } from "node:fs/promises";

export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
