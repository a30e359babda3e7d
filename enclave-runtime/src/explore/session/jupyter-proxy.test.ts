/**
 * Tests of the notebook proxy's rules (runs in Node under vitest): which paths are closed, which
 * contents-API answers may pass, and how a token is read from a request.
 */
import { describe, expect, it } from "vitest";
import { carriesFileContent, presentedToken, refusedPath, SESSION_COOKIE } from "./jupyter-proxy";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("refusedPath", () => {
  it.each([
    "/files/a.csv",
    "files/x",
    "/nbconvert/html/a.ipynb",
    "/view/a.csv",
    "/terminals/1",
    "/api/terminals",
  ])("closes the server's download or terminal path %s", (path) => {
    expect(refusedPath(path)).not.toBeNull();
  });

  it.each([
    "/",
    "/tree",
    "/api/status",
    "/api/kernels",
    "/api/contents/a.ipynb",
    "/notebooks/a.ipynb",
    "/static/x.js",
  ])("lets %s through", (path) => {
    expect(refusedPath(path)).toBeNull();
  });
});

describe("carriesFileContent", () => {
  it("refuses a file model with its content, text or base64", () => {
    expect(carriesFileContent(json({ type: "file", format: "text", content: "a,b\n1,2\n" }))).toBe(true);
    expect(carriesFileContent(json({ type: "file", format: "base64", content: "AAAA" }))).toBe(true);
  });

  it("lets notebooks, folder listings and content-less file models through", () => {
    expect(carriesFileContent(json({ type: "notebook", content: { cells: [] } }))).toBe(false);
    expect(carriesFileContent(json({ type: "directory", content: [{ type: "file", content: null }] }))).toBe(
      false,
    );
    expect(carriesFileContent(json({ type: "file", content: null }))).toBe(false);
  });

  it("refuses what it cannot parse", () => {
    expect(carriesFileContent(new TextEncoder().encode("not json"))).toBe(true);
  });
});

describe("presentedToken", () => {
  it("reads a bearer token first, then the session cookie", () => {
    expect(presentedToken(new Headers({ authorization: "Bearer abc_DEF-1" }))).toBe("abc_DEF-1");
    expect(presentedToken(new Headers({ cookie: `_xsrf=1; ${SESSION_COOKIE}=tok; other=2` }))).toBe("tok");
    expect(presentedToken({ cookie: `${SESSION_COOKIE}=node` })).toBe("node");
  });

  it("ignores other schemes and missing tokens", () => {
    expect(presentedToken(new Headers({ authorization: "token abc" }))).toBeUndefined();
    expect(presentedToken(new Headers({ authorization: "Bearer " }))).toBeUndefined();
    expect(presentedToken(new Headers())).toBeUndefined();
  });
});
