/** Admin · Data: counts of movies, users, interactions and rejected rows (with reasons), ingest runs and snapshots. No island. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import {
  recentIngestRuns,
  recentRejections,
  recentSnapshots,
  rejectionReasons,
} from "../../src/data/data_overview.ts";
import { tableTotals } from "../../src/data/ingest_report.ts";
import type { AssetManifest } from "../assets.ts";
import { duration, metric, when } from "../components/format.ts";
import { page } from "./page.ts";

/** The loader. */
export async function loadData(deps: AppDeps) {
  const [totals, reasons, rejections, ingests, snapshots] = await Promise.all([
    tableTotals(deps.db),
    rejectionReasons(deps.db, { limit: 50 }),
    recentRejections(deps.db, { limit: 20 }),
    recentIngestRuns(deps.db, { limit: 20 }),
    recentSnapshots(deps.db, { limit: 20 }),
  ]);
  return { totals, reasons, rejections, ingests, snapshots };
}

/** What the data page shows. */
export type DataOverview = Awaited<ReturnType<typeof loadData>>;

function Table(
  { caption, head, rows }: { caption: string; head: string[]; rows: (string | number)[][] },
) {
  if (!rows.length) return <p>No {caption.toLowerCase()} yet.</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>{head.map((h) => <th key={h} scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j} class={typeof c === "number" ? "num" : undefined}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const json = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v));

/** An ingest run's per-table counts in words: "movies 9,742 read, 9,742 accepted, 0 rejected; …". */
export function countsText(counts: unknown): string {
  if (!counts || typeof counts !== "object") return "—";
  return Object.entries(counts as Record<string, Record<string, number>>).map(([table, c]) =>
    `${table} ${metric(c.read)} read, ${metric(c.accepted)} accepted, ${
      metric(c.rejected)
    } rejected`
  ).join("; ");
}

/** The page. */
export function DataPage({ data }: { data: DataOverview }) {
  const t = data.totals;
  return (
    <>
      <h1>Data</h1>
      <ul class="stats">
        <li>
          <strong>{metric(t.movies)}</strong> movies
        </li>
        <li>
          <strong>{metric(t.users)}</strong> users
        </li>
        <li>
          <strong>{metric(t.interactions)}</strong> interactions
        </li>
        <li>
          <strong>{metric(t.rejectedRows)}</strong> rejected rows
        </li>
      </ul>
      <Table
        caption="Rejected rows by reason"
        head={["Source", "Reason", "Rows"]}
        rows={data.reasons.map((r) => [r.source, r.reason, r.count])}
      />
      <Table
        caption="Latest rejected rows"
        head={["Id", "Source", "Reason", "Row as read", "Ingest run"]}
        rows={data.rejections.map((
          r,
        ) => [r.id, r.source, r.reason, json(r.raw), r.ingestRunId ?? "—"])}
      />
      <Table
        caption="Ingest runs"
        head={["Id", "Source", "Status", "Started", "Duration", "Counts", "Error"]}
        rows={data.ingests.map((r) => [
          r.id,
          r.source,
          r.status,
          when(r.startedAt),
          duration(r.startedAt, r.finishedAt),
          countsText(r.counts),
          r.error ?? "",
        ])}
      />
      <Table
        caption="Snapshots"
        head={["Id", "Created", "Rows", "sha256 (start)", "Ingest run"]}
        rows={data.snapshots.map((s) => [
          s.id,
          when(s.createdAt),
          json(s.rowCounts),
          `${s.sha256.slice(0, 16)}…`,
          s.ingestRunId ?? "—",
        ])}
      />
    </>
  );
}

/** GET /admin/data. */
export function dataRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/admin/data", async (c) => {
    const data = await loadData(deps);
    return page(c, <DataPage data={data} />, {
      title: "Data",
      section: "data",
      manifest: manifest(),
    });
  });
}
