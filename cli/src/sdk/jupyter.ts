/**
 * Talking to an Explore Mode notebook server through its session (runs on the user's machine): start a
 * kernel and run a cell over Jupyter's REST + kernel WebSocket API, authenticated with the session's
 * bearer token (the Privacy Plane's proxy checks it; the notebook's own token never leaves the TEE).
 */
import { randomBytes } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";

export interface NotebookSession {
  apiBase: string;
  accessToken: string;
}

const auth = (s: NotebookSession) => ({ authorization: `Bearer ${s.accessToken}` });

export async function startKernel(session: NotebookSession): Promise<string> {
  const response = await fetch(`${session.apiBase}api/kernels`, {
    method: "POST",
    headers: { ...auth(session), "content-type": "application/json" },
    body: JSON.stringify({ name: "python3" }),
  });
  if (response.status !== 201)
    throw new Cce4longError("UNAVAILABLE", `the notebook server refused a kernel (HTTP ${response.status})`);
  return ((await response.json()) as { id: string }).id;
}

/** Runs one cell and returns what it printed (an error becomes "ERROR name: value" in the text). */
export function runCell(
  session: NotebookSession,
  kernelId: string,
  code: string,
  timeoutMs = 60_000,
): Promise<string> {
  const ws = new WebSocket(`${session.apiBase.replace(/^http/, "ws")}api/kernels/${kernelId}/channels`, {
    headers: auth(session),
  } as never);
  const msgId = randomBytes(8).toString("hex");
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      ws.close();
      reject(new Cce4longError("UNAVAILABLE", `the notebook cell did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Cce4longError("UNAVAILABLE", "the notebook kernel connection failed"));
    };
    ws.onopen = () =>
      ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            username: "cce4long",
            session: msgId,
            msg_type: "execute_request",
            version: "5.3",
          },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
          channel: "shell",
          buffers: [],
        }),
      );
    ws.onmessage = (event) => {
      const msg = JSON.parse(String(event.data)) as {
        msg_type: string;
        parent_header: { msg_id?: string };
        content: { text?: string; ename?: string; evalue?: string; execution_state?: string };
      };
      if (msg.parent_header.msg_id !== msgId) return;
      if (msg.msg_type === "stream") out += msg.content.text ?? "";
      if (msg.msg_type === "error") out += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
      if (msg.msg_type === "status" && msg.content.execution_state === "idle") {
        clearTimeout(timer);
        ws.close();
        resolve(out);
      }
    };
  });
}
