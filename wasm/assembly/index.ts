// The kernel's exports: every op family re-exported from its own file (see each file for shapes).
export * from "./thread";
export * from "./gemm";
export * from "./dense";
export * from "./activation";
export * from "./batchnorm";
export * from "./softmax";
export * from "./adam";
export * from "./sparse";
export * from "./gather";
export * from "./topk";
export * from "./quantized";
export * from "./peak";
export * from "./linalg";
export * from "./neighbours";
