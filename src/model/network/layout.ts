/** Arena layout: computes every tensor's byte offset once (params, grads, Adam moments, activations). */

/** Element type of a tensor in the arena. */
export type TensorKind = "f32" | "i32" | "u8";

/** One placed tensor: `offset` is relative to the arena start. */
export interface TensorSlot {
  name: string;
  offset: number;
  length: number;
  kind: TensorKind;
}

/** Trainable tensor request: placed in the param slab, mirrored at the same relative offset in the
 * grad, first-moment and second-moment slabs so one Adam call can sweep a contiguous group. */
export interface ParamSpec {
  name: string;
  length: number;
  /**
   * Adam group: "table" (the bag embedding: lazy, touched rows only), "rows" (the output table:
   * lazy over a sampled softmax's candidates), "decay" (weights), "plain" (biases, BatchNorm).
   */
  group: "table" | "rows" | "decay" | "plain";
}

/** A finished arena plan. */
export interface Layout {
  /** Total bytes to allocate. */
  bytes: number;
  /** Every tensor by name: params `p:<name>`, grads `g:<name>`, moments `m:`/`v:`, others as named. */
  slots: Map<string, TensorSlot>;
  /** Contiguous spans of each Adam group inside the param slab: [param offset, length in floats]. */
  groups: Record<ParamSpec["group"], { offset: number; length: number }>;
  /** Byte distance from a param to its grad, m and v. */
  slab: { grad: number; m: number; v: number };
}

const ALIGN = 64;
const SIZE: Record<TensorKind, number> = { f32: 4, i32: 4, u8: 1 };
const ORDER: ParamSpec["group"][] = ["table", "rows", "decay", "plain"];

function up(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * Places params (ordered table → rows → decay → plain) in one slab repeated four times (param, grad, m, v;
 * only once when `mirrors` is false, for inference-only models), then the other tensors. Each
 * tensor starts on a 64-byte boundary.
 */
export function planLayout(
  params: ParamSpec[],
  others: { name: string; length: number; kind?: TensorKind }[],
  options: { mirrors?: boolean } = {},
): Layout {
  const slots = new Map<string, TensorSlot>();
  const groups = {} as Layout["groups"];
  let at = 0;
  const sorted = ORDER.flatMap((g) => params.filter((p) => p.group === g));
  for (const g of ORDER) {
    const start = at;
    for (const p of sorted.filter((q) => q.group === g)) {
      slots.set(`p:${p.name}`, { name: p.name, offset: at, length: p.length, kind: "f32" });
      at = up(at + p.length * 4);
    }
    groups[g] = { offset: start, length: (at - start) / 4 };
  }
  const slabBytes = at;
  const slab = { grad: slabBytes, m: 2 * slabBytes, v: 3 * slabBytes };
  const mirrors = options.mirrors ?? true;
  for (const p of mirrors ? sorted : []) {
    const o = slots.get(`p:${p.name}`)!.offset;
    slots.set(`g:${p.name}`, {
      name: p.name,
      offset: o + slab.grad,
      length: p.length,
      kind: "f32",
    });
    slots.set(`m:${p.name}`, { name: p.name, offset: o + slab.m, length: p.length, kind: "f32" });
    slots.set(`v:${p.name}`, { name: p.name, offset: o + slab.v, length: p.length, kind: "f32" });
  }
  at = (mirrors ? 4 : 1) * slabBytes;
  for (const t of others) {
    const kind = t.kind ?? "f32";
    slots.set(t.name, { name: t.name, offset: at, length: t.length, kind });
    at = up(at + t.length * SIZE[kind]);
  }
  return { bytes: at, slots, groups, slab };
}
