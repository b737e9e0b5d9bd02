/**
 * The canary's promotion rule: staging is promoted when it beats production on watch rate — a
 * one-sided two-proportion z-test at level `alpha` — and never with fewer than `minImpressions`
 * impressions in either arm.
 */
import type { Sql } from "../db/types.ts";
import type { ModelRegistry } from "../registry/store.ts";
import { PRODUCTION } from "../registry/store.ts";
import { type CanarySettings, getCanary, STAGING } from "./canary.ts";
import { twoProportionZTest } from "./stats.ts";

/** One arm's sample: impressions and those with a watch. */
export interface ArmSample {
  version: number | null;
  impressions: number;
  watched: number;
}

/** The rule's verdict, with its numbers. */
export interface CanaryVerdict {
  promote: boolean;
  reason: string;
  production: ArmSample;
  staging: ArmSample;
  z: number;
  pValue: number;
  minImpressions: number;
  alpha: number;
}

/**
 * The rule (pure): promote staging only when both arms have at least `minImpressions` impressions
 * and staging's watch rate is higher than production's at significance `alpha` (one-sided
 * two-proportion z-test with the pooled standard error).
 */
export function decideCanary(
  arms: { production: ArmSample; staging: ArmSample },
  rule: { minImpressions: number; alpha: number },
): CanaryVerdict {
  const { production, staging } = arms;
  const test = twoProportionZTest(
    { successes: production.watched, n: production.impressions },
    { successes: staging.watched, n: staging.impressions },
  );
  const base = {
    ...arms,
    z: test.z,
    pValue: test.pValue,
    minImpressions: rule.minImpressions,
    alpha: rule.alpha,
  };
  const rate = (a: ArmSample) => a.impressions ? (a.watched / a.impressions).toFixed(4) : "none";
  if (staging.version === null) {
    return { ...base, promote: false, reason: "no staging version: nothing to promote" };
  }
  const short = [["production", production], ["staging", staging]] as const;
  for (const [name, a] of short) {
    if (a.impressions < rule.minImpressions) {
      return {
        ...base,
        promote: false,
        reason: `${name} has ${a.impressions} impressions, fewer than the ${rule.minImpressions} ` +
          "the rule needs per arm; not promoted",
      };
    }
  }
  const numbers = `watch rate ${rate(staging)} (staging v${staging.version}) vs ${
    rate(production)
  } (production v${production.version}), z = ${test.z.toFixed(2)}, p = ${
    test.pValue.toPrecision(3)
  }`;
  if (test.pValue < rule.alpha) {
    return { ...base, promote: true, reason: `staging is better: ${numbers} < ${rule.alpha}` };
  }
  return {
    ...base,
    promote: false,
    reason: `staging is not shown better: ${numbers} ≥ ${rule.alpha}; not promoted`,
  };
}

/** Impressions and watched impressions of one version in one arm since `since` (top k). */
export async function armSample(
  db: Sql,
  q: {
    model: string;
    arm: "production" | "staging";
    version: number | null;
    since: Date;
    k?: number;
  },
): Promise<ArmSample> {
  if (q.version === null) return { version: null, impressions: 0, watched: 0 };
  const [r] = await db.query<{ n: number; w: number }>(
    `SELECT count(*)::int8 AS n, count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM impression_outcomes o
         WHERE o.impression_id = i.id AND o.type = 'watch' AND o.position <= $5))::int8 AS w
     FROM impressions i
     WHERE i.model = $1 AND i.arm = $2 AND i.version = $3 AND i.strategy = 'model'
       AND i.shown_at >= $4::timestamptz`,
    [q.model, q.arm, q.version, q.since.toISOString(), q.k ?? 10],
  );
  return { version: q.version, impressions: Number(r.n), watched: Number(r.w) };
}

/** The rule applied to the stored impressions of the current comparison (nothing moved). */
export async function judgeCanary(
  deps: { db: Sql; registry: ModelRegistry },
  model: string,
): Promise<CanaryVerdict & { settings: CanarySettings }> {
  const settings = await getCanary(deps.db, model);
  const [prod, stag] = await Promise.all([
    deps.registry.getAlias(model, PRODUCTION).catch(() => null),
    deps.registry.getAlias(model, STAGING).catch(() => null),
  ]);
  const since = settings.startedAt ?? new Date(0);
  const [production, staging] = await Promise.all([
    armSample(deps.db, { model, arm: "production", version: prod?.version ?? null, since }),
    armSample(deps.db, { model, arm: "staging", version: stag?.version ?? null, since }),
  ]);
  return { ...decideCanary({ production, staging }, settings), settings };
}
