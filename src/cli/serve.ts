/** `deno task serve`: the REST API on PORT (default 8000), serving the production model. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { serveUntilSignal } from "./serving.ts";

const HELP = `
deno task serve — the REST API (/api/v1, /docs, /openapi.json, /health, /ready, /metrics)

Loads every user's history and the production model (sha256 verified), then answers until
Ctrl-C. A new production version (promotion or rollback from any process) is loaded and
switched to without a restart. Admin routes need Authorization: Bearer <REELRANK_ADMIN_TOKEN>;
without that variable a token is generated once into REELRANK_DATA_DIR/admin_token.

  --port N    port to listen on [PORT or 8000]
  --host H    address to listen on [HOST or 127.0.0.1]
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    port: { type: "string" },
    host: { type: "string" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = intFlag("port", values.port, config.port, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const ctx = await openContext(config);
  try {
    await serveUntilSignal(ctx, { port, host: values.host ?? config.host });
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
