/**
 * The wrk report parser of the edge API benchmark (runs in Node): units, percentiles and the
 * non-2xx count, on wrk 4's --latency output.
 */
import { describe, expect, it } from "vitest";
import { parseWrk } from "./edge-api";

const OUTPUT = `Running 8s test @ http://127.0.0.1:40001/healthz
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.53ms    4.01ms  60.12ms   80.00%
    Req/Sec     1.28k   120.00     1.50k    70.00%
  Latency Distribution
     50%  850.00us
     75%   13.00ms
     90%   17.00ms
     99%    1.20s
  20480 requests in 8.00s, 5.00MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   2560.25
Transfer/sec:    640.00KB
`;

describe("parseWrk", () => {
  it("reads requests/s, p50 and p99 in milliseconds, the total and the non-2xx count", () => {
    expect(parseWrk(OUTPUT)).toEqual({
      requestsPerSecond: 2560.25,
      p50Ms: 0.85,
      p99Ms: 1200,
      requests: 20480,
      non2xx: 12,
      errors: null,
    });
  });

  it("reports socket errors when wrk prints them", () => {
    const withErrors = OUTPUT.replace(
      "  Non-2xx",
      "  Socket errors: connect 0, read 3, write 0, timeout 2\n  Non-2xx",
    );
    expect(parseWrk(withErrors).errors).toBe("Socket errors: connect 0, read 3, write 0, timeout 2");
  });

  it("error: output without the latency distribution", () => {
    expect(() => parseWrk("Requests/sec: 1\n")).toThrow(/unexpected output/);
  });
});
