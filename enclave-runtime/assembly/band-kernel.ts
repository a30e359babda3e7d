/**
 * Band tags of four-value shingle levels, four bands at a time with WebAssembly SIMD (AssemblyScript;
 * runs inside the TEE, in the Privacy Plane's scan). Compiled by enclave-runtime/scripts/build-wasm.ts
 * into src/gate/fingerprints/generated/band-kernel.ts; driven by src/gate/fingerprints/band-kernel.ts.
 *
 * Same tags as the definition (forEachBandRanked in shingles.ts), band for band: each band takes the
 * four values of lowest rank (ties: the earlier value) and folds them in ascending tag order. What
 * the fast way below cannot settle exactly, it reports as a tie, and the caller computes that band
 * step by step (writeBand). Record layout (shingle-values.ts): [lo, hi, rank of band 0, 1, ...] as
 * int32 words; offsets are in words from the records' base.
 */

/** Above every selection key: a key equal to it makes its band a tie (see below). */
const KEY_MAX: i32 = 0x7fffffff;
const RECORD_HI_BYTE: u32 = 4;
const RECORD_RANKS_BYTE: u32 = 8;

@inline function rotl(v: v128, n: i32): v128 {
  return v128.or(i32x4.shl(v, n), i32x4.shr_u(v, 32 - n));
}

/** fmix32 of mix.ts, lane by lane. */
@inline function fmix(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/** The two halves of one step of foldSorted (mix.ts), before the two additions. */
@inline function mixA(a: v128, lo: v128, hi: v128): v128 {
  return v128.xor(i32x4.mul(rotl(v128.xor(a, lo), 15), i32x4.splat(0xcc9e2d51)), hi);
}
@inline function mixB(b: v128, lo: v128, hi: v128): v128 {
  return v128.xor(i32x4.mul(rotl(v128.xor(b, hi), 13), i32x4.splat(0x1b873593)), lo);
}

/** Byte address of the record whose word offset is at[position]. */
@inline function recordAt(data: usize, at: usize, position: i32): usize {
  return data + (<usize>load<i32>(at + (<usize>position << 2)) << 2);
}

/**
 * Writes the band tags of `rowCount` queued rows and returns how many bands were ties.
 * - rows: per row four int32: first offset (index into offsets), value count n (4 and up), the
 *   row's number (copied to tagRows), and (domain << 8) | bands, where band b's fold domain is
 *   domain + b.
 * - tags: (lo, hi) per band, rows after one another; tagRows: the row's number per band.
 * - ties: per tie three int32: its tag index, its row's index in `rows`, its band.
 */
export function bandsOfFour(
  data: usize,
  offsets: usize,
  rows: usize,
  rowCount: i32,
  tags: usize,
  tagRows: usize,
  ties: usize,
): i32 {
  let q: i32 = 0;
  let tieCount: i32 = 0;
  for (let r: i32 = 0; r < rowCount; r++) {
    const row = rows + (<usize>r << 4);
    const at = offsets + (<usize>load<i32>(row) << 2);
    const n = load<i32>(row, 4);
    const rowNumber = load<i32>(row, 8);
    const domain = load<i32>(row, 12) >> 8;
    const bands = load<i32>(row, 12) & 0xff;
    // A value's selection key: its rank with the low `bits` bits replaced by its position in the
    // row, so keys are distinct and the smallest key is the lowest rank, earliest value first, as
    // far as the rank bits kept can tell.
    const bits = 32 - clz(n - 1);
    const positions = i32x4.splat((1 << bits) - 1);
    const rankBits = v128.not(positions);
    for (let group: i32 = 0; group < bands; group += 4) {
      // The five smallest keys of each band, by compare-exchange with min and max: k0 <= .. <= k4.
      let k0 = i32x4.splat(KEY_MAX);
      let k1 = k0;
      let k2 = k0;
      let k3 = k0;
      let k4 = k0;
      const ranks = data + RECORD_RANKS_BYTE + (<usize>group << 2);
      for (let i: i32 = 0; i < n; i++) {
        let v = v128.or(v128.and(v128.load(ranks + (<usize>load<i32>(at + (<usize>i << 2)) << 2)), rankBits), i32x4.splat(i));
        let t = i32x4.max_s(k0, v);
        k0 = i32x4.min_s(k0, v);
        v = t;
        t = i32x4.max_s(k1, v);
        k1 = i32x4.min_s(k1, v);
        v = t;
        t = i32x4.max_s(k2, v);
        k2 = i32x4.min_s(k2, v);
        v = t;
        t = i32x4.max_s(k3, v);
        k3 = i32x4.min_s(k3, v);
        k4 = i32x4.min_s(k4, t);
      }
      // When the fourth and fifth keys differ in their rank bits, every value left out ranks
      // strictly above the four taken: they are the definition's four. Otherwise (two ranks equal in
      // the bits kept, or a key at KEY_MAX) the band is a tie.
      let tie = i32x4.eq(v128.and(k3, rankBits), v128.and(k4, rankBits));
      const p0 = v128.and(k0, positions);
      const p1 = v128.and(k1, positions);
      const p2 = v128.and(k2, positions);
      const p3 = v128.and(k3, positions);
      // The four values' tags, lane by lane (lane = band): l_j, h_j are the j-th value's words.
      let l0 = i32x4.splat(0);
      let h0 = l0;
      let l1 = l0;
      let h1 = l0;
      let l2 = l0;
      let h2 = l0;
      let l3 = l0;
      let h3 = l0;
      let rec = recordAt(data, at, i32x4.extract_lane(p0, 0));
      l0 = v128.load32_lane(rec, l0, 0);
      h0 = v128.load32_lane(rec + RECORD_HI_BYTE, h0, 0);
      rec = recordAt(data, at, i32x4.extract_lane(p1, 0));
      l1 = v128.load32_lane(rec, l1, 0);
      h1 = v128.load32_lane(rec + RECORD_HI_BYTE, h1, 0);
      rec = recordAt(data, at, i32x4.extract_lane(p2, 0));
      l2 = v128.load32_lane(rec, l2, 0);
      h2 = v128.load32_lane(rec + RECORD_HI_BYTE, h2, 0);
      rec = recordAt(data, at, i32x4.extract_lane(p3, 0));
      l3 = v128.load32_lane(rec, l3, 0);
      h3 = v128.load32_lane(rec + RECORD_HI_BYTE, h3, 0);
      rec = recordAt(data, at, i32x4.extract_lane(p0, 1));
      l0 = v128.load32_lane(rec, l0, 1);
      h0 = v128.load32_lane(rec + RECORD_HI_BYTE, h0, 1);
      rec = recordAt(data, at, i32x4.extract_lane(p1, 1));
      l1 = v128.load32_lane(rec, l1, 1);
      h1 = v128.load32_lane(rec + RECORD_HI_BYTE, h1, 1);
      rec = recordAt(data, at, i32x4.extract_lane(p2, 1));
      l2 = v128.load32_lane(rec, l2, 1);
      h2 = v128.load32_lane(rec + RECORD_HI_BYTE, h2, 1);
      rec = recordAt(data, at, i32x4.extract_lane(p3, 1));
      l3 = v128.load32_lane(rec, l3, 1);
      h3 = v128.load32_lane(rec + RECORD_HI_BYTE, h3, 1);
      rec = recordAt(data, at, i32x4.extract_lane(p0, 2));
      l0 = v128.load32_lane(rec, l0, 2);
      h0 = v128.load32_lane(rec + RECORD_HI_BYTE, h0, 2);
      rec = recordAt(data, at, i32x4.extract_lane(p1, 2));
      l1 = v128.load32_lane(rec, l1, 2);
      h1 = v128.load32_lane(rec + RECORD_HI_BYTE, h1, 2);
      rec = recordAt(data, at, i32x4.extract_lane(p2, 2));
      l2 = v128.load32_lane(rec, l2, 2);
      h2 = v128.load32_lane(rec + RECORD_HI_BYTE, h2, 2);
      rec = recordAt(data, at, i32x4.extract_lane(p3, 2));
      l3 = v128.load32_lane(rec, l3, 2);
      h3 = v128.load32_lane(rec + RECORD_HI_BYTE, h3, 2);
      rec = recordAt(data, at, i32x4.extract_lane(p0, 3));
      l0 = v128.load32_lane(rec, l0, 3);
      h0 = v128.load32_lane(rec + RECORD_HI_BYTE, h0, 3);
      rec = recordAt(data, at, i32x4.extract_lane(p1, 3));
      l1 = v128.load32_lane(rec, l1, 3);
      h1 = v128.load32_lane(rec + RECORD_HI_BYTE, h1, 3);
      rec = recordAt(data, at, i32x4.extract_lane(p2, 3));
      l2 = v128.load32_lane(rec, l2, 3);
      h2 = v128.load32_lane(rec + RECORD_HI_BYTE, h2, 3);
      rec = recordAt(data, at, i32x4.extract_lane(p3, 3));
      l3 = v128.load32_lane(rec, l3, 3);
      h3 = v128.load32_lane(rec + RECORD_HI_BYTE, h3, 3);
      // Sorting network (0,1) (2,3) (0,2) (1,3) (1,2) on h >>> 1 (in [0, 2^31): a signed compare
      // orders it): m is all ones where a pair is out of order, and x swaps both words of the two tags.
      let m = i32x4.lt_s(i32x4.shr_u(h1, 1), i32x4.shr_u(h0, 1));
      let x = v128.and(v128.xor(h0, h1), m);
      h0 = v128.xor(h0, x);
      h1 = v128.xor(h1, x);
      x = v128.and(v128.xor(l0, l1), m);
      l0 = v128.xor(l0, x);
      l1 = v128.xor(l1, x);
      m = i32x4.lt_s(i32x4.shr_u(h3, 1), i32x4.shr_u(h2, 1));
      x = v128.and(v128.xor(h2, h3), m);
      h2 = v128.xor(h2, x);
      h3 = v128.xor(h3, x);
      x = v128.and(v128.xor(l2, l3), m);
      l2 = v128.xor(l2, x);
      l3 = v128.xor(l3, x);
      m = i32x4.lt_s(i32x4.shr_u(h2, 1), i32x4.shr_u(h0, 1));
      x = v128.and(v128.xor(h0, h2), m);
      h0 = v128.xor(h0, x);
      h2 = v128.xor(h2, x);
      x = v128.and(v128.xor(l0, l2), m);
      l0 = v128.xor(l0, x);
      l2 = v128.xor(l2, x);
      m = i32x4.lt_s(i32x4.shr_u(h3, 1), i32x4.shr_u(h1, 1));
      x = v128.and(v128.xor(h1, h3), m);
      h1 = v128.xor(h1, x);
      h3 = v128.xor(h3, x);
      x = v128.and(v128.xor(l1, l3), m);
      l1 = v128.xor(l1, x);
      l3 = v128.xor(l3, x);
      m = i32x4.lt_s(i32x4.shr_u(h2, 1), i32x4.shr_u(h1, 1));
      x = v128.and(v128.xor(h1, h2), m);
      h1 = v128.xor(h1, x);
      h2 = v128.xor(h2, x);
      x = v128.and(v128.xor(l1, l2), m);
      l1 = v128.xor(l1, x);
      l2 = v128.xor(l2, x);
      // Sorted, so two equal h >>> 1 are adjacent: their order needs the bits this sort left out.
      tie = v128.or(tie, i32x4.eq(i32x4.shr_u(h0, 1), i32x4.shr_u(h1, 1)));
      tie = v128.or(tie, i32x4.eq(i32x4.shr_u(h1, 1), i32x4.shr_u(h2, 1)));
      tie = v128.or(tie, i32x4.eq(i32x4.shr_u(h2, 1), i32x4.shr_u(h3, 1)));
      // foldSorted(4, domain + band) of the four tags, lane by lane.
      const laneDomain = i32x4.add(i32x4.splat(domain + group), i32x4(0, 1, 2, 3));
      let a = v128.xor(i32x4.splat(0x9e3779b9), i32x4.mul(laneDomain, i32x4.splat(0x85ebca6b)));
      let b = v128.xor(
        i32x4.splat(0x7f4a7c15),
        i32x4.mul(i32x4.add(laneDomain, i32x4.splat(4)), i32x4.splat(0xc2b2ae35)),
      );
      a = mixA(a, l0, h0);
      b = mixB(b, l0, h0);
      a = i32x4.add(a, b);
      b = i32x4.add(b, a);
      a = mixA(a, l1, h1);
      b = mixB(b, l1, h1);
      a = i32x4.add(a, b);
      b = i32x4.add(b, a);
      a = mixA(a, l2, h2);
      b = mixB(b, l2, h2);
      a = i32x4.add(a, b);
      b = i32x4.add(b, a);
      a = mixA(a, l3, h3);
      b = mixB(b, l3, h3);
      a = i32x4.add(a, b);
      b = i32x4.add(b, a);
      const lo = fmix(v128.xor(a, i32x4.splat(4)));
      const hi = fmix(i32x4.add(b, i32x4.splat(4 * 0x27d4eb2f)));
      // Out: the group's bands that exist (a last group may have fewer than four).
      const count = min(bands - group, 4);
      const out = tags + (<usize>q << 3);
      if (count === 4) {
        v128.store(out, i8x16.shuffle(lo, hi, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23));
        v128.store(out, i8x16.shuffle(lo, hi, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31), 16);
        v128.store(tagRows + (<usize>q << 2), i32x4.splat(rowNumber));
      } else {
        store<i32>(out, i32x4.extract_lane(lo, 0));
        store<i32>(out, i32x4.extract_lane(hi, 0), 4);
        if (count > 1) {
          store<i32>(out, i32x4.extract_lane(lo, 1), 8);
          store<i32>(out, i32x4.extract_lane(hi, 1), 12);
        }
        if (count > 2) {
          store<i32>(out, i32x4.extract_lane(lo, 2), 16);
          store<i32>(out, i32x4.extract_lane(hi, 2), 20);
        }
        for (let j: i32 = 0; j < count; j++) store<i32>(tagRows + (<usize>(q + j) << 2), rowNumber);
      }
      let tieLanes = i32x4.bitmask(tie) & ((1 << count) - 1);
      while (tieLanes !== 0) {
        const lane = ctz(tieLanes);
        tieLanes &= tieLanes - 1;
        const entry = ties + <usize>tieCount * 12;
        store<i32>(entry, q + lane);
        store<i32>(entry, r, 4);
        store<i32>(entry, group + lane, 8);
        tieCount++;
      }
      q += count;
    }
  }
  return tieCount;
}
