/**
 * A self-contained, readable HTML rendering of the OpenAPI document for /docs (runs in workerd).
 * No scripts, no CDN, no fonts from elsewhere: everything is in the one page, so it works offline
 * and under a strict Content-Security-Policy.
 */

type Json = Record<string, unknown>;

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2430}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
.op{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.2rem;font:600 13px monospace;color:#fff;border-radius:4px;padding:2px 6px;text-align:center}
.get{background:#1f6feb}.post{background:#2da44e}.put,.patch{background:#bf8700}.delete{background:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
.roles{color:#8250df;font-size:13px}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:2px 8px;text-align:left}
details summary{cursor:pointer;color:#57606a}
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function pre(value: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
}

function renderOperation(path: string, method: string, op: Json): string {
  const roles = op["x-cce4long-roles"] as string[] | undefined;
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  const body = (op.requestBody as { content?: Record<string, { schema: unknown }> } | undefined)?.content;
  const responses = (op.responses ?? {}) as Record<string, { description: string; content?: Json }>;
  const parts = [
    `<div class="op" id="${escapeHtml(String(op.operationId))}">`,
    `<p><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code> — ${escapeHtml(String(op.summary ?? ""))}</p>`,
    roles
      ? `<p class="roles">Requires a bearer token with role: ${roles.map(escapeHtml).join(", ")}</p>`
      : "",
    op.description ? `<p>${escapeHtml(String(op.description))}</p>` : "",
  ];
  if (parameters.length > 0) {
    parts.push("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>");
    for (const p of parameters) {
      parts.push(
        `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td>` +
          `<td>${p.required ? "yes" : "no"}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td></tr>`,
      );
    }
    parts.push("</table>");
  }
  if (body) {
    for (const [type, { schema }] of Object.entries(body)) {
      parts.push(
        `<details open><summary>Request body (${escapeHtml(type)})</summary>${pre(schema)}</details>`,
      );
    }
  }
  for (const [status, response] of Object.entries(responses)) {
    const content = response.content as Record<string, { schema: unknown }> | undefined;
    const schemas = content
      ? Object.entries(content).map(([t, { schema }]) => `<p><code>${escapeHtml(t)}</code></p>${pre(schema)}`)
      : [];
    parts.push(
      `<details><summary><b>${escapeHtml(status)}</b> ${escapeHtml(response.description)}</summary>${schemas.join("")}</details>`,
    );
  }
  parts.push("</div>");
  return parts.join("\n");
}

export function renderDocsPage(document: Json): string {
  const info = document.info as { title: string; version: string; description?: string };
  const paths = document.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = ((op.tags as string[] | undefined) ?? ["other"])[0]!;
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(path, method, op)]);
    }
  }
  const codes = document["x-cce4long-error-codes"] as Record<string, { status: number; title: string }>;
  const codeRows = Object.entries(codes)
    .map(
      ([code, { status, title }]) =>
        `<tr><td><code>${escapeHtml(code)}</code></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`,
    )
    .join("\n");
  const problem = (document.components as { schemas: Json }).schemas.Problem;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(info.title)} ${escapeHtml(info.version)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(info.title)}</h1><p>Version ${escapeHtml(info.version)} · machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>
<p>${escapeHtml(info.description ?? "")}</p>
<p>Authenticate with Sign-In with Ethereum: <code>POST /v1/auth/nonce</code>, sign an EIP-4361 message carrying that nonce, then <code>POST /v1/auth/verify</code>; send the returned token as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
${[...byTag].map(([tag, ops]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>\n${ops.join("\n")}`).join("\n")}
<h2 id="errors">Errors</h2>
<p>Every error is <code>application/problem+json</code> (RFC 9457):</p>${pre(problem)}
<table><tr><th>code</th><th>status</th><th>title</th></tr>
${codeRows}
</table>
</body></html>`;
}
