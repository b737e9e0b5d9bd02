/** Test helpers: seeded random arrays and a tiny allocator that copies arrays into kernel memory. */
import type { Kernel } from "../../../src/model/kernel/kernel.ts";

/** Seeded uniform draws in [-1, 1). */
export function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
}

/** `n` seeded draws scaled by `scale`. */
export function randArray(n: number, r: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => r() * scale);
}

/** Copies arrays into the kernel arena and reads results back. */
export class Arena {
  constructor(readonly k: Kernel) {}
  f32(data: ArrayLike<number> | number): number {
    const n = typeof data === "number" ? data : data.length;
    const at = this.k.alloc(Math.max(4, n * 4));
    if (typeof data !== "number") this.k.f32(at, n).set(data);
    else this.k.f32(at, n).fill(0);
    return at;
  }
  i32(data: ArrayLike<number> | number): number {
    const n = typeof data === "number" ? data : data.length;
    const at = this.k.alloc(Math.max(4, n * 4));
    if (typeof data !== "number") this.k.i32(at, n).set(data);
    else this.k.i32(at, n).fill(0);
    return at;
  }
  read(at: number, n: number): Float32Array {
    return this.k.f32(at, n).slice();
  }
  readI32(at: number, n: number): Int32Array {
    return this.k.i32(at, n).slice();
  }
}
