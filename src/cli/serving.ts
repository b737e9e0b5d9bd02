/** Shared by `serve` and `start`: the admin token, the server, the printed URLs, and Ctrl-C. */
import { startServer } from "../api/server.ts";
import type { Context } from "../context.ts";
import { configureLogging } from "../log.ts";
import { ensureAdminToken } from "../serving/admin_token.ts";

/** Serves the API on `ctx` until SIGINT or SIGTERM, then shuts down cleanly. */
export async function serveUntilSignal(
  ctx: Context,
  options: { port: number; host: string },
): Promise<void> {
  const admin = await ensureAdminToken(ctx.config);
  configureLogging({ secrets: [...ctx.config.secrets, admin.token] });
  // The model's products split over the cores (REELRANK_THREADS): measured faster than one
  // thread even with the HTTP loop sharing them (README, serving benchmark).
  const server = await startServer(ctx, {
    ...options,
    adminToken: admin.token,
    threads: ctx.config.threads,
    metrics: ctx.metrics,
    http: ctx.config.http,
  });
  const version = server.serving.version();
  console.log(
    `\nreelrank is serving ${
      version === null
        ? `without a model (${server.serving.problem()}; popular movies until one is promoted)`
        : `model version ${version}`
    } on ${server.url}`,
  );
  console.log(`  site       ${server.url}/   (admin pages: ${server.url}/admin)`);
  console.log(`  API docs   ${server.url}/docs   (OpenAPI: ${server.url}/openapi.json)`);
  if (admin.source === "generated") {
    console.log(`  admin token ${admin.token}`);
    console.log(`             (generated once, kept in ${admin.path}, mode 0600; not shown again)`);
  } else if (admin.source === "file") {
    console.log(`  admin token in ${admin.path} (REELRANK_ADMIN_TOKEN overrides it)`);
  } else console.log("  admin token from REELRANK_ADMIN_TOKEN");
  console.log("Ctrl-C stops the server.");
  await new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  console.log("\nstopping: finishing requests in flight…");
  await server.shutdown();
}
