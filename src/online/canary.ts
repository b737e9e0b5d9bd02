/**
 * The canary: its stored settings (share served by `staging`, shadow share, promotion rule) and
 * the move that makes staging production (the rule itself is in canary_rule.ts).
 */
import type { Sql } from "../db/types.ts";
import { invalid, ReelrankError } from "../errors.ts";
import { ALIAS_CHANNEL, type ModelRegistry, PRODUCTION } from "../registry/store.ts";

/** The alias the canary and the shadow serve. */
export const STAGING = "staging";

/** A model's canary settings. */
export interface CanarySettings {
  /** Share of users and visitors (by stable hash) served by staging, 0..1. */
  share: number;
  /** Share of production answers staging also ranks off the request path (shadow), 0..1. */
  shadowShare: number;
  /** Let the server apply the rule every minute and promote on its own. */
  autoPromote: boolean;
  /** Impressions each arm needs before the rule may promote. */
  minImpressions: number;
  /** Significance level of the one-sided test. */
  alpha: number;
  /** When the current comparison began (the share last went above 0); null before any canary. */
  startedAt: Date | null;
}

/** Settings before any are stored: no canary, no shadow, manual promotion. */
export const DEFAULT_CANARY: CanarySettings = {
  share: 0,
  shadowShare: 0,
  autoPromote: false,
  minImpressions: 1_000,
  alpha: 0.05,
  startedAt: null,
};

/** The stored settings of `model` (the defaults when none are stored). */
export async function getCanary(db: Sql, model: string): Promise<CanarySettings> {
  const [r] = await db.query<{
    share: number;
    shadow_share: number;
    auto_promote: boolean;
    min_impressions: number;
    alpha: number;
    started_at: Date;
  }>("SELECT * FROM canary_settings WHERE model = $1", [model]);
  if (!r) return { ...DEFAULT_CANARY };
  return {
    share: Number(r.share),
    shadowShare: Number(r.shadow_share),
    autoPromote: r.auto_promote,
    minImpressions: Number(r.min_impressions),
    alpha: Number(r.alpha),
    startedAt: r.started_at,
  };
}

/**
 * Changes the settings given in `patch`; a share going from 0 to above 0 (or `restart`) starts a
 * new comparison window. Servers follow through the alias channel. Returns the new settings.
 */
export async function setCanary(
  db: Sql,
  model: string,
  patch: Partial<Omit<CanarySettings, "startedAt">> & { restart?: boolean; now: Date },
): Promise<CanarySettings> {
  for (const key of ["share", "shadowShare"] as const) {
    const v = patch[key];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw invalid(`${key} must be in [0, 1], got ${v}`);
  }
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reelrank_canary'))");
    const cur = await getCanary(tx, model);
    const next = { ...cur, ...stripUndefined(patch) };
    const starts = patch.restart || cur.startedAt === null || (cur.share === 0 && next.share > 0);
    const startedAt = starts ? patch.now : cur.startedAt!;
    await tx.query(
      `INSERT INTO canary_settings
         (model, share, shadow_share, auto_promote, min_impressions, alpha, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz)
       ON CONFLICT (model) DO UPDATE SET share = excluded.share,
         shadow_share = excluded.shadow_share, auto_promote = excluded.auto_promote,
         min_impressions = excluded.min_impressions, alpha = excluded.alpha,
         started_at = excluded.started_at, updated_at = excluded.updated_at`,
      [
        model,
        next.share,
        next.shadowShare,
        next.autoPromote,
        next.minImpressions,
        next.alpha,
        startedAt.toISOString(),
        patch.now.toISOString(),
      ],
    );
    await tx.query("SELECT pg_notify($1, $2)", [ALIAS_CHANNEL, model]);
    return {
      share: next.share,
      shadowShare: next.shadowShare,
      autoPromote: next.autoPromote,
      minImpressions: next.minImpressions,
      alpha: next.alpha,
      startedAt,
    };
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([k, v]) => v !== undefined && k !== "now" && k !== "restart"),
  ) as Partial<T>;
}

/**
 * Makes staging production and stops the canary in ONE transaction: production → staging's
 * version, staging removed, canary and shadow shares 0 — all or nothing. Throws CONFLICT (and
 * changes nothing) when no staging version is set.
 */
export async function promoteStaging(
  deps: { registry: ModelRegistry },
  model: string,
  opts: { reason: string; now: Date },
): Promise<{ fromVersion: number | null; toVersion: number }> {
  return await deps.registry.transaction(async (registry, tx) => {
    // The canary's lock first: two promotions at once run one after the other, and the second
    // then finds no staging version.
    await setCanary(tx, model, { share: 0, shadowShare: 0, now: opts.now });
    const staging = await registry.getAlias(model, STAGING);
    if (!staging) {
      throw new ReelrankError("CONFLICT", "no staging version is set: stage a version first");
    }
    const prod = await registry.getAlias(model, PRODUCTION);
    await registry.setAliases(model, { [PRODUCTION]: staging.version, [STAGING]: null }, {
      kind: "promote",
      reason: opts.reason,
    });
    return { fromVersion: prod?.version ?? null, toVersion: staging.version };
  });
}
