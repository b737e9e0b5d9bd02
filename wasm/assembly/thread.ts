// Per-instance state: every thread instantiates the module on the shared memory and gets its own globals.

/** Start of this thread's private scratch area (packing panels, tiles); set once by the host. */
export let scratchPtr: usize = 0;

/** Sets this instance's private scratch area: at least scratchBytes() bytes, 64-byte aligned. */
export function setScratch(ptr: usize): void {
  scratchPtr = ptr;
}

/** Offset inside the scratch area of the batch-1 non-zero index list (after the gemm panels). */
export const SCRATCH_LIST: usize = 256 + 256 * 64 * 4;

/** Largest input width the batch-1 path can compact (its non-zero list lives in scratch). */
export const MAX_VEC_IN: i32 = 65536;

/** Bytes of private scratch each thread needs: tiles, one packed B panel, the non-zero list. */
export function scratchBytes(): usize {
  return SCRATCH_LIST + (<usize> MAX_VEC_IN << 2);
}

/** First byte after the module's static data: the host arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
