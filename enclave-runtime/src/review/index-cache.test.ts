/**
 * Tests of the gate's cache of loaded fingerprint indexes (runs in Node under vitest): one load for
 * runs that ask at the same time, nothing kept from a load that gave nothing or failed, the least
 * recently used dropped when the memory budget is passed, and a value over the budget never kept.
 */
import { describe, expect, it } from "vitest";
import { IndexCache } from "./index-cache";

interface Fake {
  name: string;
  memoryBytes: number;
}

/** A loader that counts its calls per key and gives what `values` holds (null, a value, or an Error). */
function loader(values: Record<string, Fake | null | Error>) {
  const calls: Record<string, number> = {};
  const load = (key: string) => async () => {
    calls[key] = (calls[key] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 1));
    const value = values[key];
    if (value instanceof Error) throw value;
    return value ?? null;
  };
  return { calls, load };
}

const fake = (name: string, memoryBytes: number): Fake => ({ name, memoryBytes });

describe("IndexCache", () => {
  it("loads a key once for the runs that ask for it, at the same time or later", async () => {
    const cache = new IndexCache<Fake>(100);
    const { calls, load } = loader({ a: fake("a", 40) });
    const [x, y] = await Promise.all([cache.get("a", load("a")), cache.get("a", load("a"))]);
    expect(x?.name).toBe("a");
    expect(y).toBe(x);
    expect(await cache.get("a", load("a"))).toBe(x);
    expect(calls.a).toBe(1);
    expect(cache.bytes).toBe(40);
  });

  it("error: keeps nothing from a load that gave no index or failed", async () => {
    const cache = new IndexCache<Fake>(100);
    const values: Record<string, Fake | null | Error> = { none: null, bad: new Error("store down") };
    const { calls, load } = loader(values);
    expect(await cache.get("none", load("none"))).toBeNull();
    await expect(cache.get("bad", load("bad"))).rejects.toThrow("store down");
    values.none = fake("none", 10);
    values.bad = fake("bad", 10);
    expect((await cache.get("none", load("none")))?.name).toBe("none");
    expect((await cache.get("bad", load("bad")))?.name).toBe("bad");
    expect(calls).toEqual({ none: 2, bad: 2 });
  });

  it("drops the least recently used indexes when the budget is passed", async () => {
    const cache = new IndexCache<Fake>(100);
    const { calls, load } = loader({ a: fake("a", 40), b: fake("b", 40), c: fake("c", 40) });
    await cache.get("a", load("a"));
    await cache.get("b", load("b"));
    await cache.get("a", load("a")); // a is now the most recently used
    await cache.get("c", load("c")); // 120 > 100: b goes
    expect(cache.bytes).toBe(80);
    await cache.get("a", load("a"));
    await cache.get("c", load("c"));
    expect(calls).toEqual({ a: 1, b: 1, c: 1 });
    await cache.get("b", load("b"));
    expect(calls.b).toBe(2);
  });

  it("gives an index larger than the whole budget to its runs, and keeps nothing of it", async () => {
    const cache = new IndexCache<Fake>(100);
    const { calls, load } = loader({ a: fake("a", 40), huge: fake("huge", 150) });
    await cache.get("a", load("a"));
    expect((await cache.get("huge", load("huge")))?.name).toBe("huge");
    expect(cache.bytes).toBe(40); // a stays
    await cache.get("huge", load("huge"));
    await cache.get("a", load("a"));
    expect(calls).toEqual({ a: 1, huge: 2 });
  });
});
