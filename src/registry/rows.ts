/** Row mapping for the registry tables. */
import type { Row } from "../db/types.ts";
import type {
  AliasChange,
  AliasChangeKind,
  CoverageGuard,
  ModelVersion,
  PromotionDecision,
} from "./store.ts";

/** A model_versions row (plus its aliases) as a ModelVersion. */
export function toVersion(r: Row, aliases: string[]): ModelVersion {
  return {
    model: r.model as string,
    version: Number(r.version),
    artifactKey: r.artifact_key as string,
    sha256: r.sha256 as string,
    size: Number(r.size),
    runId: (r.run_id as string | null) ?? null,
    snapshotId: (r.snapshot_id as string | null) ?? null,
    metrics: (typeof r.metrics === "string" ? JSON.parse(r.metrics) : r.metrics ?? {}) as Record<
      string,
      number
    >,
    family: (r.family as string | null) ?? null,
    description: (r.description as string) ?? "",
    createdAt: new Date(r.created_at as Date),
    aliases,
  };
}

/** A model_alias_history row. */
export function toChange(r: Row): AliasChange {
  return {
    id: Number(r.id),
    model: r.model as string,
    alias: r.alias as string,
    fromVersion: r.from_version === null ? null : Number(r.from_version),
    toVersion: r.to_version === null ? null : Number(r.to_version),
    kind: r.kind as AliasChangeKind,
    reason: r.reason as string,
    changedAt: new Date(r.changed_at as Date),
  };
}

/** A promotion_decisions row. */
export function toDecision(r: Row): PromotionDecision {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    model: r.model as string,
    version: Number(r.version),
    metric: r.metric as string,
    candidateValue: num(r.candidate_value),
    productionVersion: num(r.production_version),
    productionValue: num(r.production_value),
    promoted: r.promoted === true,
    reason: r.reason as string,
    guard: r.guard === null || r.guard === undefined
      ? null
      : (typeof r.guard === "string" ? JSON.parse(r.guard) : r.guard) as CoverageGuard,
    decidedAt: new Date(r.decided_at as Date),
  };
}

/** Versions with their current aliases as a jsonb array `alias_list`. */
export const VERSION_SELECT =
  `SELECT v.*, COALESCE((SELECT jsonb_agg(a.alias ORDER BY a.alias) FROM model_aliases a
  WHERE a.model = v.model AND a.version = v.version), '[]'::jsonb) AS alias_list FROM model_versions v`;

/** The `alias_list` column of a VERSION_SELECT row. */
export function aliasList(r: Row): string[] {
  const v = r.alias_list;
  return (typeof v === "string" ? JSON.parse(v) : v ?? []) as string[];
}
