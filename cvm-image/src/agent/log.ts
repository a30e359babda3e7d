/**
 * The boot agent's log (runs in the Computing Plane VM; locally a child process): one JSON object per
 * line on stdout (journal and serial console in the VM). Step names and ids only: never a key, a
 * credential, a token or a byte of data.
 */
export type AgentLog = (event: string, fields?: Record<string, unknown>) => void;

export const agentLog: AgentLog = (event, fields = {}) => {
  process.stdout.write(
    `${JSON.stringify({ t: new Date().toISOString(), agent: "boot-agent", event, ...fields })}\n`,
  );
};
