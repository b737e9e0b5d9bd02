/**
 * Admin · Registry: versions with metrics (beyond accuracy too), lineage, sha256 and aliases;
 * online metrics beside the offline ones and the canary; alias history and gate decisions;
 * promote and rollback.
 */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import { type CanarySettings, getCanary, STAGING } from "../../src/online/canary.ts";
import { type ArmMetrics, onlineMetrics } from "../../src/online/online_metrics.ts";
import { MODEL_NAME, PRODUCTION } from "../../src/registry/store.ts";
import type { AliasChange, ModelVersion, PromotionDecision } from "../../src/registry/store.ts";
import type { AssetManifest } from "../assets.ts";
import { bytes, metric, when } from "../components/format.ts";
import { OnlineTable } from "../components/online_table.tsx";
import { VersionFigures } from "../components/version_figures.tsx";
import { Island } from "../island.tsx";
import AliasButton from "../islands/AliasButton.tsx";
import CanaryControls from "../islands/CanaryControls.tsx";
import TokenBox from "../islands/TokenBox.tsx";
import { page } from "./page.ts";

/** What the registry page shows. */
export interface RegistryData {
  versions: ModelVersion[];
  history: AliasChange[];
  decisions: PromotionDecision[];
  serving: number | null;
  /** Online metrics of the last 24 hours, per version and arm. */
  online: ArmMetrics[];
  canary: CanarySettings;
}

/** The window the page's online metrics cover. */
const ONLINE_WINDOW_MS = 86_400_000;

/** The loader: the same registry calls as GET /models, plus the alias history and gate decisions. */
export async function loadRegistry(deps: AppDeps): Promise<RegistryData> {
  const until = new Date(deps.clock().getTime() + 1);
  const [known, online, canary] = await Promise.all([
    deps.registry.listModels().then((ms) => ms.some((m) => m.name === MODEL_NAME)),
    onlineMetrics(deps.db, {
      model: MODEL_NAME,
      since: new Date(until.getTime() - ONLINE_WINDOW_MS),
      until,
    }),
    getCanary(deps.db, MODEL_NAME),
  ]);
  const serving = deps.serving.version();
  if (!known) return { versions: [], history: [], decisions: [], serving, online, canary };
  const [versions, history, decisions] = await Promise.all([
    deps.registry.listVersions(MODEL_NAME),
    deps.registry.aliasHistory(MODEL_NAME),
    deps.registry.listDecisions(MODEL_NAME, { limit: 20 }),
  ]);
  return { versions, history: history.reverse(), decisions, serving, online, canary };
}

function VersionRow({ v, serving }: { v: ModelVersion; serving: number | null }) {
  return (
    <tr data-version={v.version}>
      <th scope="row">{v.version}</th>
      <td>
        {v.aliases.map((a) => <span key={a} class={`badge alias-${a}`}>{a}</span>)}
        {v.version === serving ? <span class="badge serving">serving</span> : null}
      </td>
      <td>{when(v.createdAt)}</td>
      <td>{v.family ?? "—"}</td>
      <td class="num">{metric(v.metrics.val_ndcg10)}</td>
      <td class="num">{metric(v.metrics.test_ndcg10)}</td>
      <td>
        {v.runId
          ? <a href={`/admin/runs/${encodeURIComponent(v.runId)}`}>run {v.runId.slice(0, 8)}</a>
          : "—"}
      </td>
      <td class="mono">{v.snapshotId ?? "—"}</td>
      <td class="mono sha">{v.sha256}</td>
      <td class="num">{bytes(v.size)}</td>
      <td>
        {v.aliases.includes(PRODUCTION) ? null : (
          <Island
            name="AliasButton"
            component={AliasButton}
            props={{ action: "promote", version: v.version }}
          />
        )}
      </td>
    </tr>
  );
}

function stagingOf(data: RegistryData): number | null {
  return data.versions.find((v) => v.aliases.includes(STAGING))?.version ?? null;
}

function canaryLine(data: RegistryData): string {
  const staging = data.versions.find((v) => v.aliases.includes(STAGING));
  const c = data.canary;
  if (!staging) {
    return "No staging version: no canary. Stage one with POST /api/v1/models/{version}/stage.";
  }
  const rule = c.autoPromote
    ? `promoted automatically when its watch rate beats production's at p < ${c.alpha} with at least ${c.minImpressions} impressions per arm`
    : "promoted by hand (automatic rule off)";
  return `Staging version ${staging.version} serves ${(c.share * 100).toFixed(1)} % of users ` +
    `(shadow ${(c.shadowShare * 100).toFixed(1)} % of production answers) since ${
      when(c.startedAt)
    }; ${rule}.`;
}

/** The page. */
export function RegistryPage({ data }: { data: RegistryData }) {
  return (
    <>
      <h1>Model registry</h1>
      <Island name="TokenBox" component={TokenBox} props={{}} />
      {data.versions.length === 0
        ? <p>No model version is registered yet.</p>
        : (
          <div class="table-wrap">
            <table>
              <caption>
                Versions of {MODEL_NAME}, newest first; this server answers with version{" "}
                {data.serving ?? "none"}
              </caption>
              <thead>
                <tr>
                  {[
                    "Version",
                    "Aliases",
                    "Registered",
                    "Family",
                    "val_ndcg10",
                    "test_ndcg10",
                    "Run",
                    "Snapshot",
                    "sha256",
                    "Size",
                    "",
                  ]
                    .map((h) => <th key={h} scope="col">{h}</th>)}
                </tr>
              </thead>
              <tbody>
                {data.versions.map((v) => (
                  <VersionRow key={v.version} v={v} serving={data.serving} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      {data.history.length
        ? (
          <Island
            name="AliasButton"
            component={AliasButton}
            props={{ action: "rollback", version: null }}
          />
        )
        : null}
      {data.versions.length ? <VersionFigures versions={data.versions} /> : null}
      <h2>Online evaluation (last 24 hours)</h2>
      <p class="canary">
        {canaryLine(data)}
      </p>
      {stagingOf(data)
        ? (
          <Island
            name="CanaryControls"
            component={CanaryControls}
            props={{
              stagingVersion: stagingOf(data)!,
              share: data.canary.share,
              shadowShare: data.canary.shadowShare,
            }}
          />
        )
        : null}
      <OnlineTable rows={data.online} versions={data.versions} />
      <h2>Alias history</h2>
      <div class="table-wrap">
        <table>
          <caption>Every alias move, newest first</caption>
          <thead>
            <tr>
              {["When", "Alias", "From", "To", "How", "Reason"].map((h) => (
                <th key={h} scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.history.map((h) => (
              <tr key={h.id}>
                <td>{when(h.changedAt)}</td>
                <td>{h.alias}</td>
                <td class="num">{h.fromVersion ?? "—"}</td>
                <td class="num">{h.toVersion ?? "—"}</td>
                <td>{h.kind}</td>
                <td>{h.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Promotion gate decisions</h2>
      <ul class="decisions">
        {data.decisions.map((d) => (
          <li key={d.id}>
            {when(d.decidedAt)}: version {d.version} {d.promoted ? "promoted" : "kept out"} —{" "}
            {d.reason}
            {d.guard
              ? (
                <span class={`badge guard-${d.guard.passed ? "passed" : "failed"}`}>
                  coverage guard {d.guard.passed ? "passed" : "failed"}: {d.guard.metric}{" "}
                  {metric(d.guard.candidateValue)} vs {metric(d.guard.productionValue)}, tolerance
                  {" "}
                  {d.guard.tolerance}
                </span>
              )
              : null}
          </li>
        ))}
      </ul>
    </>
  );
}

/** GET /admin/registry. */
export function registryRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/registry", async (c) => {
    const data = await loadRegistry(deps);
    return page(c, <RegistryPage data={data} />, {
      title: "Registry",
      section: "registry",
      manifest: manifest(),
    });
  });
}
