/**
 * Band tags of shingle levels of four or five values a band, four bands at a time with WebAssembly
 * SIMD (AssemblyScript; runs inside the TEE, in the Privacy Plane's scan). Compiled by
 * enclave-runtime/scripts/build-wasm.ts into src/gate/fingerprints/generated/band-kernel.ts; driven by
 * src/gate/fingerprints/band-kernel.ts.
 *
 * Same tags as the definition (forEachBandRanked in shingles.ts), band for band: each band takes the
 * r values of lowest rank (ties: the earlier value) and folds them in ascending tag order. What the
 * fast way below cannot settle exactly, it reports as a tie, and the caller computes that band step
 * by step (writeBand). Record layout (shingle-values.ts): [lo, hi, rank of band 0, 1, ...] as int32
 * words; offsets are in words from the records' base. One body serves r = 4 and r = 5: `r` is a
 * constant wherever rowBands is inlined, so the optimizer keeps only that size's code.
 */

/** Above every selection key: a key equal to it makes its band a tie (see below). */
const KEY_MAX: i32 = 0x7fffffff;
const HI: u32 = 4; // byte offset of a record's high word
const RANKS: u32 = 8; // byte offset of its first rank

/** Tags written and ties reported so far by the current call. */
let tagCount: i32 = 0;
let tieCount: i32 = 0;

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

/** The two halves of one step of foldSorted (mix.ts), before its two additions. */
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

/** Lanes where h >>> 1 of b is below that of a: where the pair (a, b) is out of order. */
@inline function outOfOrder(a: v128, b: v128): v128 {
  return i32x4.lt_s(i32x4.shr_u(b, 1), i32x4.shr_u(a, 1));
}

/** Lanes where a and b are equal in h >>> 1 (their order needs the bit the sort leaves out). */
@inline function sameOrder(a: v128, b: v128): v128 {
  return i32x4.eq(i32x4.shr_u(a, 1), i32x4.shr_u(b, 1));
}

/**
 * Writes the band tags of `rowCount` queued rows and returns how many bands were ties.
 * - rows: per row four int32: first offset (index into offsets), value count n (r and up), the
 *   row's number (copied to tagRows), and (domain << 12) | (r << 8) | bands, where r is 4 or 5 and
 *   band b's fold domain is domain + b.
 * - tags: (lo, hi) per band, rows after one another; tagRows: the row's number per band.
 * - ties: per tie three int32: its tag index, its row's index in `rows`, its band.
 */
export function bandTags(
  data: usize,
  offsets: usize,
  rows: usize,
  rowCount: i32,
  tags: usize,
  tagRows: usize,
  ties: usize,
): i32 {
  tagCount = 0;
  tieCount = 0;
  for (let r: i32 = 0; r < rowCount; r++) {
    const row = rows + (<usize>r << 4);
    if (((load<i32>(row, 12) >> 8) & 0xf) === 4) rowBands(4, r, row, data, offsets, tags, tagRows, ties);
    else rowBands(5, r, row, data, offsets, tags, tagRows, ties);
  }
  return tieCount;
}

/** The bands of queued row `index` (its descriptor at `row`), r values a band. */
@inline function rowBands(
  r: i32,
  index: i32,
  row: usize,
  data: usize,
  offsets: usize,
  tags: usize,
  tagRows: usize,
  ties: usize,
): void {
  const at = offsets + (<usize>load<i32>(row) << 2);
  const n = load<i32>(row, 4);
  const rowNumber = load<i32>(row, 8);
  const domain = load<i32>(row, 12) >> 12;
  const bands = load<i32>(row, 12) & 0xff;
  // A value's selection key: its rank with the low `bits` bits replaced by its position in the row,
  // so keys are distinct and the smallest key is the lowest rank, earliest value first, as far as the
  // rank bits kept can tell.
  const bits = 32 - clz(n - 1);
  const positions = i32x4.splat((1 << bits) - 1);
  const rankBits = v128.not(positions);
  for (let group: i32 = 0; group < bands; group += 4) {
    // The r + 1 smallest keys of each band, by compare-exchange with min and max: k0 <= k1 <= ...
    let k0 = i32x4.splat(KEY_MAX);
    let k1 = k0;
    let k2 = k0;
    let k3 = k0;
    let k4 = k0;
    let k5 = k0;
    const ranks = data + RANKS + (<usize>group << 2);
    for (let i: i32 = 0; i < n; i++) {
      const rank = v128.load(ranks + (<usize>load<i32>(at + (<usize>i << 2)) << 2));
      let v = v128.or(v128.and(rank, rankBits), i32x4.splat(i));
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
      if (r === 5) {
        v = t;
        t = i32x4.max_s(k4, v);
        k4 = i32x4.min_s(k4, v);
        k5 = i32x4.min_s(k5, t);
      } else {
        k4 = i32x4.min_s(k4, t);
      }
    }
    // When the r-th and (r+1)-th keys differ in their rank bits, every value left out ranks strictly
    // above the r taken: they are the definition's r. Otherwise (two ranks equal in the bits kept,
    // or a key at KEY_MAX) the band is a tie.
    let tie = r === 5
      ? i32x4.eq(v128.and(k4, rankBits), v128.and(k5, rankBits))
      : i32x4.eq(v128.and(k3, rankBits), v128.and(k4, rankBits));
    const p0 = v128.and(k0, positions);
    const p1 = v128.and(k1, positions);
    const p2 = v128.and(k2, positions);
    const p3 = v128.and(k3, positions);
    const p4 = v128.and(k4, positions);
    // The r values' tags, lane by lane (lane = band): l_j, h_j are the j-th value's words.
    let l0 = i32x4.splat(0);
    let h0 = l0;
    let l1 = l0;
    let h1 = l0;
    let l2 = l0;
    let h2 = l0;
    let l3 = l0;
    let h3 = l0;
    let l4 = l0;
    let h4 = l0;
    let a: usize;
    a = recordAt(data, at, i32x4.extract_lane(p0, 0)); l0 = v128.load32_lane(a, l0, 0); h0 = v128.load32_lane(a + HI, h0, 0);
    a = recordAt(data, at, i32x4.extract_lane(p1, 0)); l1 = v128.load32_lane(a, l1, 0); h1 = v128.load32_lane(a + HI, h1, 0);
    a = recordAt(data, at, i32x4.extract_lane(p2, 0)); l2 = v128.load32_lane(a, l2, 0); h2 = v128.load32_lane(a + HI, h2, 0);
    a = recordAt(data, at, i32x4.extract_lane(p3, 0)); l3 = v128.load32_lane(a, l3, 0); h3 = v128.load32_lane(a + HI, h3, 0);
    a = recordAt(data, at, i32x4.extract_lane(p0, 1)); l0 = v128.load32_lane(a, l0, 1); h0 = v128.load32_lane(a + HI, h0, 1);
    a = recordAt(data, at, i32x4.extract_lane(p1, 1)); l1 = v128.load32_lane(a, l1, 1); h1 = v128.load32_lane(a + HI, h1, 1);
    a = recordAt(data, at, i32x4.extract_lane(p2, 1)); l2 = v128.load32_lane(a, l2, 1); h2 = v128.load32_lane(a + HI, h2, 1);
    a = recordAt(data, at, i32x4.extract_lane(p3, 1)); l3 = v128.load32_lane(a, l3, 1); h3 = v128.load32_lane(a + HI, h3, 1);
    a = recordAt(data, at, i32x4.extract_lane(p0, 2)); l0 = v128.load32_lane(a, l0, 2); h0 = v128.load32_lane(a + HI, h0, 2);
    a = recordAt(data, at, i32x4.extract_lane(p1, 2)); l1 = v128.load32_lane(a, l1, 2); h1 = v128.load32_lane(a + HI, h1, 2);
    a = recordAt(data, at, i32x4.extract_lane(p2, 2)); l2 = v128.load32_lane(a, l2, 2); h2 = v128.load32_lane(a + HI, h2, 2);
    a = recordAt(data, at, i32x4.extract_lane(p3, 2)); l3 = v128.load32_lane(a, l3, 2); h3 = v128.load32_lane(a + HI, h3, 2);
    a = recordAt(data, at, i32x4.extract_lane(p0, 3)); l0 = v128.load32_lane(a, l0, 3); h0 = v128.load32_lane(a + HI, h0, 3);
    a = recordAt(data, at, i32x4.extract_lane(p1, 3)); l1 = v128.load32_lane(a, l1, 3); h1 = v128.load32_lane(a + HI, h1, 3);
    a = recordAt(data, at, i32x4.extract_lane(p2, 3)); l2 = v128.load32_lane(a, l2, 3); h2 = v128.load32_lane(a + HI, h2, 3);
    a = recordAt(data, at, i32x4.extract_lane(p3, 3)); l3 = v128.load32_lane(a, l3, 3); h3 = v128.load32_lane(a + HI, h3, 3);
    if (r === 5) {
      a = recordAt(data, at, i32x4.extract_lane(p4, 0)); l4 = v128.load32_lane(a, l4, 0); h4 = v128.load32_lane(a + HI, h4, 0);
      a = recordAt(data, at, i32x4.extract_lane(p4, 1)); l4 = v128.load32_lane(a, l4, 1); h4 = v128.load32_lane(a + HI, h4, 1);
      a = recordAt(data, at, i32x4.extract_lane(p4, 2)); l4 = v128.load32_lane(a, l4, 2); h4 = v128.load32_lane(a + HI, h4, 2);
      a = recordAt(data, at, i32x4.extract_lane(p4, 3)); l4 = v128.load32_lane(a, l4, 3); h4 = v128.load32_lane(a + HI, h4, 3);
    }
    // A sorting network on h >>> 1 (in [0, 2^31): a signed compare orders it). Each step: m is all
    // ones where the pair is out of order, and the two tags (both words) swap there.
    let m: v128;
    let t: v128;
    if (r === 5) {
      // (0,3) (1,4) (0,2) (1,3) (0,1) (2,4) (1,2) (3,4) (2,3)
      m = outOfOrder(h0, h3); t = v128.bitselect(h3, h0, m); h3 = v128.bitselect(h0, h3, m); h0 = t;
      t = v128.bitselect(l3, l0, m); l3 = v128.bitselect(l0, l3, m); l0 = t;
      m = outOfOrder(h1, h4); t = v128.bitselect(h4, h1, m); h4 = v128.bitselect(h1, h4, m); h1 = t;
      t = v128.bitselect(l4, l1, m); l4 = v128.bitselect(l1, l4, m); l1 = t;
      m = outOfOrder(h0, h2); t = v128.bitselect(h2, h0, m); h2 = v128.bitselect(h0, h2, m); h0 = t;
      t = v128.bitselect(l2, l0, m); l2 = v128.bitselect(l0, l2, m); l0 = t;
      m = outOfOrder(h1, h3); t = v128.bitselect(h3, h1, m); h3 = v128.bitselect(h1, h3, m); h1 = t;
      t = v128.bitselect(l3, l1, m); l3 = v128.bitselect(l1, l3, m); l1 = t;
      m = outOfOrder(h0, h1); t = v128.bitselect(h1, h0, m); h1 = v128.bitselect(h0, h1, m); h0 = t;
      t = v128.bitselect(l1, l0, m); l1 = v128.bitselect(l0, l1, m); l0 = t;
      m = outOfOrder(h2, h4); t = v128.bitselect(h4, h2, m); h4 = v128.bitselect(h2, h4, m); h2 = t;
      t = v128.bitselect(l4, l2, m); l4 = v128.bitselect(l2, l4, m); l2 = t;
      m = outOfOrder(h1, h2); t = v128.bitselect(h2, h1, m); h2 = v128.bitselect(h1, h2, m); h1 = t;
      t = v128.bitselect(l2, l1, m); l2 = v128.bitselect(l1, l2, m); l1 = t;
      m = outOfOrder(h3, h4); t = v128.bitselect(h4, h3, m); h4 = v128.bitselect(h3, h4, m); h3 = t;
      t = v128.bitselect(l4, l3, m); l4 = v128.bitselect(l3, l4, m); l3 = t;
      m = outOfOrder(h2, h3); t = v128.bitselect(h3, h2, m); h3 = v128.bitselect(h2, h3, m); h2 = t;
      t = v128.bitselect(l3, l2, m); l3 = v128.bitselect(l2, l3, m); l2 = t;
      tie = v128.or(tie, sameOrder(h3, h4));
    } else {
      // (0,1) (2,3) (0,2) (1,3) (1,2)
      m = outOfOrder(h0, h1); t = v128.bitselect(h1, h0, m); h1 = v128.bitselect(h0, h1, m); h0 = t;
      t = v128.bitselect(l1, l0, m); l1 = v128.bitselect(l0, l1, m); l0 = t;
      m = outOfOrder(h2, h3); t = v128.bitselect(h3, h2, m); h3 = v128.bitselect(h2, h3, m); h2 = t;
      t = v128.bitselect(l3, l2, m); l3 = v128.bitselect(l2, l3, m); l2 = t;
      m = outOfOrder(h0, h2); t = v128.bitselect(h2, h0, m); h2 = v128.bitselect(h0, h2, m); h0 = t;
      t = v128.bitselect(l2, l0, m); l2 = v128.bitselect(l0, l2, m); l0 = t;
      m = outOfOrder(h1, h3); t = v128.bitselect(h3, h1, m); h3 = v128.bitselect(h1, h3, m); h1 = t;
      t = v128.bitselect(l3, l1, m); l3 = v128.bitselect(l1, l3, m); l1 = t;
      m = outOfOrder(h1, h2); t = v128.bitselect(h2, h1, m); h2 = v128.bitselect(h1, h2, m); h1 = t;
      t = v128.bitselect(l2, l1, m); l2 = v128.bitselect(l1, l2, m); l1 = t;
    }
    // Sorted, so two equal h >>> 1 are adjacent.
    tie = v128.or(tie, sameOrder(h0, h1));
    tie = v128.or(tie, sameOrder(h1, h2));
    tie = v128.or(tie, sameOrder(h2, h3));
    // foldSorted(r, domain + band) of the r tags, lane by lane.
    const laneDomain = i32x4.add(i32x4.splat(domain + group), i32x4(0, 1, 2, 3));
    let fa = v128.xor(i32x4.splat(0x9e3779b9), i32x4.mul(laneDomain, i32x4.splat(0x85ebca6b)));
    let fb = v128.xor(i32x4.splat(0x7f4a7c15), i32x4.mul(i32x4.add(laneDomain, i32x4.splat(r)), i32x4.splat(0xc2b2ae35)));
    fa = mixA(fa, l0, h0); fb = mixB(fb, l0, h0); fa = i32x4.add(fa, fb); fb = i32x4.add(fb, fa);
    fa = mixA(fa, l1, h1); fb = mixB(fb, l1, h1); fa = i32x4.add(fa, fb); fb = i32x4.add(fb, fa);
    fa = mixA(fa, l2, h2); fb = mixB(fb, l2, h2); fa = i32x4.add(fa, fb); fb = i32x4.add(fb, fa);
    fa = mixA(fa, l3, h3); fb = mixB(fb, l3, h3); fa = i32x4.add(fa, fb); fb = i32x4.add(fb, fa);
    if (r === 5) {
      fa = mixA(fa, l4, h4); fb = mixB(fb, l4, h4); fa = i32x4.add(fa, fb); fb = i32x4.add(fb, fa);
    }
    const lo = fmix(v128.xor(fa, i32x4.splat(r)));
    const hi = fmix(i32x4.add(fb, i32x4.splat(r * 0x27d4eb2f)));
    // Out: the group's bands that exist (a last group may have fewer than four).
    const count = min(bands - group, 4);
    const out = tags + (<usize>tagCount << 3);
    if (count === 4) {
      v128.store(out, i8x16.shuffle(lo, hi, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23));
      v128.store(out, i8x16.shuffle(lo, hi, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31), 16);
      v128.store(tagRows + (<usize>tagCount << 2), i32x4.splat(rowNumber));
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
      for (let j: i32 = 0; j < count; j++) store<i32>(tagRows + (<usize>(tagCount + j) << 2), rowNumber);
    }
    let tieLanes = i32x4.bitmask(tie) & ((1 << count) - 1);
    while (tieLanes !== 0) {
      const lane = ctz(tieLanes);
      tieLanes &= tieLanes - 1;
      const entry = ties + <usize>tieCount * 12;
      store<i32>(entry, tagCount + lane);
      store<i32>(entry, index, 4);
      store<i32>(entry, group + lane, 8);
      tieCount++;
    }
    tagCount += count;
  }
}
