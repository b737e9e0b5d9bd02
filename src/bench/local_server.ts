/** The server a benchmark measures: a free loopback port, a throwaway admin token, no alias polling. */
import { type RunningServer, type ServerOptions, startServer } from "../api/server.ts";
import type { Context } from "../context.ts";

/** Starts the app on the context's data and production model for a benchmark. */
export function localServer(
  ctx: Pick<Context, "db" | "objects" | "registry" | "tracking" | "clock">,
  options: Omit<ServerOptions, "port" | "host" | "adminToken" | "pollMs"> = {},
): Promise<RunningServer> {
  return startServer(ctx, {
    port: 0,
    host: "127.0.0.1",
    adminToken: crypto.randomUUID(),
    pollMs: 0,
    ...options,
  });
}
