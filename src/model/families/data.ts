/** The training matrix of the item-to-item families: users × universe items, train interactions only. */
import type { Split } from "../../features/split.ts";
import { type BinaryCsr, binaryCsr } from "./csr.ts";

/** X: row r = split.users[r]'s train movies (dense indices), binary; validation and test never enter. */
export function trainCsr(split: Split): BinaryCsr {
  return binaryCsr(split.users.map((u) => u.trainIndices), split.universe.size);
}
