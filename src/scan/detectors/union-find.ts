/** Disjoint sets over 0..n-1 with path halving and union by size; grows on demand. */
export class UnionFind {
  private parent = new Int32Array(1024);
  private size = new Int32Array(1024);
  private n = 0;

  /** Adds one element and returns its id. */
  add(): number {
    if (this.n === this.parent.length) {
      const p = new Int32Array(this.n * 2);
      p.set(this.parent);
      this.parent = p;
      const s = new Int32Array(this.n * 2);
      s.set(this.size);
      this.size = s;
    }
    this.parent[this.n] = this.n;
    this.size[this.n] = 1;
    return this.n++;
  }

  find(x: number): number {
    let i = x;
    while (this.parent[i] !== i) {
      const p = this.parent[i] as number;
      this.parent[i] = this.parent[p] as number;
      i = p;
    }
    return i;
  }

  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if ((this.size[ra] as number) < (this.size[rb] as number)) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = (this.size[ra] as number) + (this.size[rb] as number);
    return ra;
  }

  sizeOf(x: number): number {
    return this.size[this.find(x)] as number;
  }
}
