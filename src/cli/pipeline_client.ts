/**
 * How `deno task pipeline` reaches the pipeline: in this process on the database, or — when a
 * running `start` holds PGlite's data folder — through that server's API with the admin token
 * kept in the folder.
 */
import type { Config } from "../config.ts";
import { type Context, openContext } from "../context.ts";
import { type ErrorCode, ReelrankError } from "../errors.ts";
import {
  attemptFromJson,
  type AttemptJson,
  logFromJson,
  type LogLineJson,
  runFromJson,
  type RunJson,
} from "../pipeline/json.ts";
import type { RunEvent } from "../pipeline/runner.ts";
import type { TriggerOptions } from "../pipeline/service.ts";
import type {
  Attempt,
  ListRunsOptions,
  LogLine,
  PipelineRun,
  TaskStatus,
} from "../pipeline/store.ts";
import { TOKEN_FILE } from "../serving/admin_token.ts";
import { startPipelineEngine } from "../../pipelines/engine.ts";
import { readServerAddress } from "./server_file.ts";

/** The pipeline as the CLI uses it. */
export interface PipelineClient {
  /** Where runs execute, for messages. */
  readonly where: string;
  /** Starts a run and follows it to its end. */
  run(options: TriggerOptions, onEvent: (e: RunEvent) => void): Promise<PipelineRun>;
  listRuns(options: ListRunsOptions): Promise<{ items: PipelineRun[]; more: boolean }>;
  getRun(id: string): Promise<PipelineRun>;
  listAttempts(id: string): Promise<Attempt[]>;
  readLogs(id: string, options?: { taskId?: string; attempt?: number }): Promise<LogLine[]>;
  close(): Promise<void>;
}

/** The pipeline on the database, runs executing in this process (Ctrl-C ends them failed). */
async function localClient(ctx: Context): Promise<PipelineClient> {
  const engine = await startPipelineEngine(ctx);
  return {
    where: "this process",
    async run(options, onEvent) {
      const stop = () => void engine.close("stopped by Ctrl-C");
      Deno.addSignalListener("SIGINT", stop);
      try {
        return await engine.run(options, onEvent);
      } finally {
        Deno.removeSignalListener("SIGINT", stop);
      }
    },
    listRuns: (o) => engine.listRuns(o),
    getRun: (id) => engine.getRun(id),
    listAttempts: (id) => engine.listAttempts(id),
    readLogs: (id, o) => engine.readLogs(id, o),
    async close() {
      await engine.close();
      await ctx.close();
    },
  };
}

const CODES: ErrorCode[] = [
  "NOT_FOUND",
  "INVALID_PARAMETER",
  "CONFLICT",
  "UNAVAILABLE",
  "UNAUTHORIZED",
];

/** The pipeline of the server at `url`: runs execute there; this process polls them. */
export function remoteClient(
  url: string,
  options: { token: string; pollMs?: number; fetch?: typeof fetch },
): PipelineClient {
  const get = options.fetch ?? fetch;
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    let res: Response;
    try {
      res = await get(`${url}/api/v1${path}`, {
        ...init,
        headers: {
          accept: "application/json",
          authorization: `Bearer ${options.token}`,
          ...init.headers,
        },
      });
    } catch (err) {
      throw new ReelrankError(
        "UNAVAILABLE",
        `the server at ${url} does not answer: ${(err as Error).message}`,
      );
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const code = CODES.find((c) => c === body?.error?.code) ?? "UNAVAILABLE";
      throw new ReelrankError(
        code,
        `the server at ${url} answered ${res.status}: ${body?.error?.message ?? res.statusText}`,
      );
    }
    return body as T;
  };
  const detail = (id: string, query = "") =>
    call<RunJson & { attempts: AttemptJson[]; logs: LogLineJson[] }>(
      `/pipeline/runs/${encodeURIComponent(id)}${query}`,
    );
  return {
    where: `the server at ${url}`,
    async run(o, onEvent) {
      const started = await call<{ id: string }>("/pipeline/runs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          dag: o.dag,
          trigger: "manual",
          params: o.params,
          logicalDate: o.logicalDate?.toISOString(),
          from: o.from,
        }),
      });
      return await follow(started.id, onEvent);
    },
    async listRuns(o) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(o)) if (v !== undefined) q.set(k, String(v));
      const page = await call<{ items: RunJson[]; nextBefore: string | null }>(
        `/pipeline/runs?${q}`,
      );
      return { items: page.items.map(runFromJson), more: page.nextBefore !== null };
    },
    getRun: async (id) => runFromJson(await detail(id)),
    listAttempts: async (id) => (await detail(id)).attempts.map(attemptFromJson),
    async readLogs(id, o = {}) {
      const q = new URLSearchParams();
      if (o.taskId) q.set("task", o.taskId);
      if (o.attempt) q.set("attempt", String(o.attempt));
      return (await detail(id, `?${q}`)).logs.map(logFromJson);
    },
    close: () => Promise.resolve(),
  };

  // Polls the run and turns what changed into the events a local run emits.
  async function follow(id: string, onEvent: (e: RunEvent) => void): Promise<PipelineRun> {
    const seen = new Map<string, string>();
    const logged = new Set<string>();
    onEvent({ type: "run", runId: id, status: "running" });
    for (;;) {
      const d = await detail(id);
      // Per task, in order: that it started, its new log lines, then how it ended.
      for (const t of d.tasks) {
        if (t.status === "pending") continue;
        const attempts = d.attempts.filter((a) => a.taskId === t.taskId);
        const event = (status: TaskStatus, a = attempts.at(-1)) =>
          onEvent({
            type: "task",
            runId: id,
            taskId: t.taskId,
            status,
            attempt: a?.attempt ?? 0,
            seconds: a?.durationSeconds ?? undefined,
            error: a?.error ?? undefined,
          });
        if (!seen.has(t.taskId) && t.status !== "reused") event("running", attempts[0]);
        for (const l of d.logs.filter((l) => l.taskId === t.taskId)) {
          const k = `${l.taskId}/${l.attempt}/${l.seq}`;
          if (!logged.has(k)) {
            logged.add(k);
            onEvent({ type: "log", runId: id, line: logFromJson(l) });
          }
        }
        const state = `${t.status}/${t.tries}`;
        if (seen.get(t.taskId) !== state && t.status !== "running") event(t.status);
        seen.set(t.taskId, state);
      }
      if (d.status === "success" || d.status === "failed") {
        onEvent({ type: "run", runId: id, status: d.status, reason: d.statusReason ?? undefined });
        return runFromJson(d);
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  }
}

async function adminTokenOf(config: Config): Promise<string> {
  if (config.adminToken) return config.adminToken;
  try {
    return (await Deno.readTextFile(`${config.dataDir}/${TOKEN_FILE}`)).trim();
  } catch {
    throw new ReelrankError(
      "UNAUTHORIZED",
      `no admin token in ${config.dataDir}/${TOKEN_FILE}; set REELRANK_ADMIN_TOKEN to the server's token`,
    );
  }
}

/**
 * Opens the pipeline: on the database when this process can open it, else — PGlite's folder held
 * by a running server — through that server's API. Without a server to talk to, the folder's
 * lock error stands.
 */
export async function openPipelineClient(config: Config): Promise<PipelineClient> {
  let ctx: Context;
  try {
    ctx = await openContext(config);
  } catch (err) {
    const locked = !config.databaseUrl && err instanceof ReelrankError && err.code === "CONFLICT";
    if (!locked) throw err;
    const server = await readServerAddress(config.dataDir);
    if (!server) throw err;
    const client = remoteClient(server.url, { token: await adminTokenOf(config) });
    try {
      await client.listRuns({ limit: 1 });
    } catch (reach) {
      throw new ReelrankError(
        "CONFLICT",
        `${(err as Error).message}; and the server it recorded at ${server.url} does not answer (${
          (reach as Error).message
        })`,
      );
    }
    return client;
  }
  return await localClient(ctx);
}
