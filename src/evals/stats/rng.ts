/**
 * Seeded pseudo-random generator (sfc32) so that bootstrap intervals are
 * reproducible run to run; `Math.random` cannot be seeded.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /**
   * Fills `out` with uniform integers in [0, n): the same values, in the same order, as
   * `out.length` calls of {@link Rng.int}, without a call per value (bootstrap hot loop).
   */
  ints(n: number, out: Uint32Array): void;
}

/** Creates an sfc32 generator from a 32-bit seed (the seed is mixed with splitmix32 first). */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const ints = (n: number, out: Uint32Array): void => {
    // `next` inlined over local copies of the state: several times faster than a call per value.
    let sa = a;
    let sb = b;
    let sc = c;
    let sd = d;
    for (let i = 0; i < out.length; i++) {
      const t = (((sa + sb) >>> 0) + sd) >>> 0;
      sd = (sd + 1) >>> 0;
      sa = sb ^ (sb >>> 9);
      sb = (sc + (sc << 3)) >>> 0;
      sc = ((sc << 21) | (sc >>> 11)) >>> 0;
      sc = (sc + t) >>> 0;
      out[i] = Math.floor((t / 4294967296) * n);
    }
    a = sa;
    b = sb;
    c = sc;
    d = sd;
  };
  return { next, int: (n: number) => Math.floor(next() * n), ints };
}
