/**
 * The isolate-memory tier of the catalogue cache (runs in workerd): fresh, then stale, then gone;
 * one refresh claim at a time; least-recently-used eviction by count and by bytes; oversized bodies
 * never kept.
 */
import { describe, expect, it } from "vitest";
import { IsolateCache, REFRESH_CLAIM_MS } from "../src/cache/isolate-cache";

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
  it("is fresh for its lifetime, stale for as long again, then forgets the entry and its bytes", () => {
    const { store, advance } = cache();
    store.set("a", body(10), 5);
    advance(4_999);
    expect(store.lookup("a")?.state).toBe("fresh");
    expect(store.lookup("a")?.body.byteLength).toBe(10);
    advance(1);
    expect(store.lookup("a")?.state).toBe("stale");
    expect(store.size).toBe(1);
    advance(4_999);
    expect(store.lookup("a")?.state).toBe("stale");
    advance(1);
    expect(store.lookup("a")).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it("gives the refresh of a stale entry to one caller at a time", () => {
    const { store, advance } = cache();
    store.set("a", body(10), 5);
    advance(6_000);
    expect(store.claimRefresh("a")).toBe(true);
    expect(store.claimRefresh("a")).toBe(false);
    store.releaseRefresh("a");
    expect(store.claimRefresh("a")).toBe(true);
    advance(REFRESH_CLAIM_MS - 1);
    expect(store.claimRefresh("a")).toBe(false);
    advance(1);
    expect(store.claimRefresh("a")).toBe(true); // the claimant died: another may try
    store.set("a", body(10), 5);
    expect(store.lookup("a")?.state).toBe("fresh");
    advance(6_000);
    expect(store.claimRefresh("a")).toBe(true); // a new entry starts unclaimed
  });

  it("evicts the least recently used entry beyond maxEntries", () => {
    const { store } = cache();
    store.set("a", body(1), 60);
    store.set("b", body(1), 60);
    store.set("c", body(1), 60);
    store.lookup("a");
    store.set("d", body(1), 60);
    expect(store.lookup("b")).toBeUndefined();
    expect(store.lookup("a")).toBeDefined();
    expect(store.lookup("c")).toBeDefined();
    expect(store.lookup("d")).toBeDefined();
  });

  it("evicts by total bytes and never keeps a body above maxEntryBytes", () => {
    const { store } = cache({ maxEntries: 100 });
    store.set("a", body(400), 60);
    store.set("b", body(400), 60);
    store.set("c", body(400), 60);
    expect(store.lookup("a")).toBeUndefined();
    expect(store.bytes).toBe(800);
    store.set("big", body(501), 60);
    expect(store.lookup("big")).toBeUndefined();
    expect(store.bytes).toBe(800);
  });

  it("replaces an entry in place and ignores a non-positive lifetime", () => {
    const { store } = cache();
    store.set("a", body(10), 60);
    store.set("a", body(20), 60);
    expect(store.bytes).toBe(20);
    store.set("a", body(30), 0);
    expect(store.lookup("a")).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});
