/** The promotion gate's rule and rollback's history replay, as pure functions the SQL store applies under a lock. */
import type { AliasChange, CoverageGuard, CoverageGuardOptions } from "./store.ts";

/** The gate's verdict before it is recorded. */
export interface GateVerdict {
  promoted: boolean;
  candidateValue: number | null;
  productionValue: number | null;
  reason: string;
  /** The coverage guard's check, when one is configured and the candidate won on the metric. */
  guard: CoverageGuard | null;
}

/** The guard's default metric: catalogue coverage of the validation top-10 lists. */
export const DEFAULT_COVERAGE_METRIC = "val_coverage10";

function metricOf(metrics: Record<string, number>, metric: string): number | null {
  const v = metrics[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Decides whether `candidate` replaces `production` on `metric`: only a strictly higher value
 * wins (an equal score is noise, not progress). A candidate without a finite value never wins;
 * a production version without one loses to any candidate that has one.
 */
export function decidePromotion(
  candidate: { version: number; metrics: Record<string, number> },
  opts: {
    metric: string;
    production: { version: number; metrics: Record<string, number> } | null;
    coverage?: CoverageGuardOptions | null;
  },
): GateVerdict {
  const verdict = decideOnMetric(candidate, opts);
  if (!verdict.promoted || !opts.coverage || !opts.production) return verdict;
  return guardCoverage(verdict, candidate, { ...opts, production: opts.production });
}

/**
 * The coverage guard (issue 15): a candidate that wins on the gate's metric must also not lose
 * more than `tolerance` of catalogue coverage against production. A candidate without the figure
 * cannot show it and is refused; a production version without it (trained before the figure
 * existed) is not compared.
 */
function guardCoverage(
  verdict: GateVerdict,
  candidate: { version: number; metrics: Record<string, number> },
  opts: {
    production: { version: number; metrics: Record<string, number> };
    coverage?: CoverageGuardOptions | null;
  },
): GateVerdict {
  const { tolerance } = opts.coverage!;
  const metric = opts.coverage!.metric ?? DEFAULT_COVERAGE_METRIC;
  const c = metricOf(candidate.metrics, metric);
  const p = metricOf(opts.production.metrics, metric);
  const passed = c !== null && (p === null || c >= p - tolerance);
  const guard = { metric, tolerance, candidateValue: c, productionValue: p, passed };
  if (passed) {
    const note = p === null
      ? `; production has no ${metric}, coverage not compared`
      : `; ${metric} ${c} is within ${tolerance} of production's ${p}`;
    return { ...verdict, reason: verdict.reason + note, guard };
  }
  return {
    ...verdict,
    promoted: false,
    guard,
    reason: c === null
      ? `${verdict.reason}, but version ${candidate.version} has no ${metric} for the coverage guard; kept the current production version`
      : `${verdict.reason}, but its ${metric} ${c} drops more than ${tolerance} below production's ${p}; kept the current production version`,
  };
}

function decideOnMetric(
  candidate: { version: number; metrics: Record<string, number> },
  opts: { metric: string; production: { version: number; metrics: Record<string, number> } | null },
): GateVerdict {
  const { metric, production } = opts;
  const guard = null;
  const c = metricOf(candidate.metrics, metric);
  const p = production ? metricOf(production.metrics, metric) : null;
  const fmt = (v: number | null) => (v === null ? "none" : String(v));
  if (c === null) {
    const seen = candidate.metrics[metric];
    return {
      guard,
      promoted: false,
      candidateValue: null,
      productionValue: p,
      reason: `version ${candidate.version} has no finite ${metric} (got ${
        seen === undefined ? "nothing" : String(seen)
      }); kept the current production version`,
    };
  }
  if (!production) {
    return {
      guard,
      promoted: true,
      candidateValue: c,
      productionValue: null,
      reason:
        `no production version; version ${candidate.version} (${metric} ${c}) becomes production`,
    };
  }
  if (production.version === candidate.version) {
    return {
      guard,
      promoted: false,
      candidateValue: c,
      productionValue: p,
      reason: `version ${candidate.version} is already production`,
    };
  }
  if (p === null) {
    return {
      guard,
      promoted: true,
      candidateValue: c,
      productionValue: null,
      reason:
        `production version ${production.version} has no ${metric}; version ${candidate.version} (${c}) replaces it`,
    };
  }
  if (c > p) {
    return {
      guard,
      promoted: true,
      candidateValue: c,
      productionValue: p,
      reason:
        `${metric} ${c} of version ${candidate.version} beats ${p} of production version ${production.version}`,
    };
  }
  return {
    guard,
    promoted: false,
    candidateValue: c,
    productionValue: p,
    reason: `${metric} ${c} of version ${candidate.version} does not beat ${
      fmt(p)
    } of production version ${production.version}${c === p ? " (equal is not better)" : ""}`,
  };
}

/**
 * The version a default rollback returns to. Replays production's history as a stack: a move
 * pushes its version, a rollback pops back to its target, so rolling back twice goes two
 * promotions back instead of flipping between the last two. Null when there is nothing earlier.
 */
export function rollbackTarget(history: readonly AliasChange[]): number | null {
  const stack: number[] = [];
  for (const h of history) {
    if (h.toVersion === null) {
      stack.length = 0;
    } else if (h.kind === "rollback") {
      const at = stack.lastIndexOf(h.toVersion);
      if (at >= 0) stack.length = at + 1;
      else stack.push(h.toVersion);
    } else {
      stack.push(h.toVersion);
    }
  }
  // Earlier versions equal to the current one are no step back.
  const current = stack.at(-1);
  for (let i = stack.length - 2; i >= 0; i--) if (stack[i] !== current) return stack[i];
  return null;
}
