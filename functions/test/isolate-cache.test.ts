/**
 * The isolate-memory tier of the catalogue cache (runs in workerd): expiry, least-recently-used
 * eviction by count and by bytes, oversized bodies never kept.
 */
import { describe, expect, it } from "vitest";
import { IsolateCache } from "../src/cache/isolate-cache";

const body = (bytes: number) => ({ body: new ArrayBuffer(bytes), contentType: "application/json" });

function cache(limits: Partial<ConstructorParameters<typeof IsolateCache>[0]> = {}) {
  let now = 1_000_000;
  const store = new IsolateCache(
    { maxEntries: 3, maxBytes: 1_000, maxEntryBytes: 500, ...limits },
    () => now,
  );
  return { store, advance: (ms: number) => (now += ms) };
}

describe("IsolateCache", () => {
  it("answers until the entry's time is up, then forgets it and its bytes", () => {
    const { store, advance } = cache();
    store.set("a", body(10), 5);
    advance(4_999);
    expect(store.get("a")?.body.byteLength).toBe(10);
    advance(1);
    expect(store.get("a")).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it("evicts the least recently used entry beyond maxEntries", () => {
    const { store } = cache();
    store.set("a", body(1), 60);
    store.set("b", body(1), 60);
    store.set("c", body(1), 60);
    store.get("a");
    store.set("d", body(1), 60);
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")).toBeDefined();
    expect(store.get("c")).toBeDefined();
    expect(store.get("d")).toBeDefined();
  });

  it("evicts by total bytes and never keeps a body above maxEntryBytes", () => {
    const { store } = cache({ maxEntries: 100 });
    store.set("a", body(400), 60);
    store.set("b", body(400), 60);
    store.set("c", body(400), 60);
    expect(store.get("a")).toBeUndefined();
    expect(store.bytes).toBe(800);
    store.set("big", body(501), 60);
    expect(store.get("big")).toBeUndefined();
    expect(store.bytes).toBe(800);
  });

  it("replaces an entry in place and ignores a non-positive lifetime", () => {
    const { store } = cache();
    store.set("a", body(10), 60);
    store.set("a", body(20), 60);
    expect(store.bytes).toBe(20);
    store.set("a", body(30), 0);
    expect(store.get("a")).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});
