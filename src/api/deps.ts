/** Everything the app uses, passed to createApp(): no module-level singletons. */
import type { AssetManifest } from "../../web/assets.ts";
import type { HttpSecurity } from "../config.ts";
import type { Sql } from "../db/types.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { PipelineService } from "../pipeline/service.ts";
import type { ModelRegistry } from "../registry/store.ts";
import type { Serving } from "../serving/serving.ts";
import type { TrackingStore } from "../tracking/store.ts";

/** The app's dependencies. */
export interface AppDeps {
  /** Movie search, user summaries, events, batch reads and the readiness probe. */
  db: Sql;
  registry: ModelRegistry;
  tracking: TrackingStore;
  serving: Pick<
    Serving,
    "recommendations" | "problem" | "watcher" | "catalog" | "version" | "online"
  >;
  metrics: Metrics;
  /** The pipeline engine runs started through the API execute in; without it /pipeline answers 503. */
  pipeline?: PipelineService;
  /** The bearer token admin routes require. */
  adminToken: string;
  clock: () => Date;
  /** The site's build manifest (default: web/dist/manifest.json, read on the first page). */
  siteManifest?: () => AssetManifest;
  /** Largest request body accepted (default 256 KiB). */
  bodyLimitBytes?: number;
  /** CORS allow-lists and the admin rate limit (default: no other origin, 30 admin requests a minute). */
  http?: Partial<HttpSecurity>;
}
