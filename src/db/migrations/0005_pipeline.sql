-- The pipeline engine (src/pipeline): DAG runs, the state and result of each task in a run, every
-- attempt of a task, and the log lines each attempt wrote. Timestamps come from the engine's
-- injectable clock, never from now(), so tests are exact.

CREATE TABLE pipeline_runs (
  id             text PRIMARY KEY,
  dag            text NOT NULL CHECK (dag ~ '^[a-z][a-z0-9_]*$'),
  trigger        text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'api', 'drift')),
  -- The data interval the run stands for (a schedule's fire time, or the trigger time): with the
  -- DAG it keys every write of the run's tasks, so a re-run for the same date writes the same rows.
  logical_date   timestamptz NOT NULL,
  params         jsonb NOT NULL DEFAULT '{}'::jsonb,
  status         text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed')),
  status_reason  text,
  -- A `--from TASK` re-run: the failed run whose upstream results it reuses.
  from_run_id    text REFERENCES pipeline_runs (id) ON DELETE SET NULL,
  from_task      text,
  created_at     timestamptz NOT NULL,
  started_at     timestamptz,
  ended_at       timestamptz,
  -- Written every few seconds by the process executing the run; a silent active run is reaped.
  heartbeat_at   timestamptz NOT NULL,
  host           text NOT NULL DEFAULT '',
  pid            integer,
  CHECK ((status IN ('success', 'failed')) = (ended_at IS NOT NULL))
);
-- One active run per DAG, across every process and host sharing the database (PGlite included):
-- a second insert of an active run of the same DAG conflicts on this index.
CREATE UNIQUE INDEX pipeline_runs_one_active_idx ON pipeline_runs (dag)
  WHERE status IN ('queued', 'running');
CREATE INDEX pipeline_runs_dag_created_idx ON pipeline_runs (dag, created_at DESC, id);
CREATE INDEX pipeline_runs_created_idx ON pipeline_runs (created_at DESC, id);

-- One row per task of a run: its state, how many attempts it took and its final result (ids and
-- object keys, never local paths) that downstream tasks receive.
CREATE TABLE pipeline_tasks (
  run_id      text NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
  task_id     text NOT NULL,
  -- The task's place in the DAG's dependency order (pages list tasks in it).
  position    integer NOT NULL,
  status      text NOT NULL CHECK (status IN
    ('pending', 'running', 'up_for_retry', 'success', 'failed', 'upstream_failed', 'reused')),
  tries       integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
  result      jsonb,
  started_at  timestamptz,
  ended_at    timestamptz,
  PRIMARY KEY (run_id, task_id)
);

CREATE TABLE pipeline_task_attempts (
  run_id            text NOT NULL,
  task_id           text NOT NULL,
  attempt           integer NOT NULL CHECK (attempt >= 1),
  status            text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'timeout')),
  started_at        timestamptz NOT NULL,
  ended_at          timestamptz,
  duration_seconds  double precision,
  error             text,
  -- True when the error said retrying could not help (the engine then did not retry).
  permanent         boolean NOT NULL DEFAULT false,
  result            jsonb,
  PRIMARY KEY (run_id, task_id, attempt),
  FOREIGN KEY (run_id, task_id) REFERENCES pipeline_tasks (run_id, task_id) ON DELETE CASCADE
);

-- Each attempt's log lines, numbered in the order written; a re-sent batch replaces its lines.
CREATE TABLE pipeline_task_logs (
  run_id   text NOT NULL,
  task_id  text NOT NULL,
  attempt  integer NOT NULL,
  seq      integer NOT NULL,
  at       timestamptz NOT NULL,
  level    text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message  text NOT NULL,
  fields   jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (run_id, task_id, attempt, seq),
  FOREIGN KEY (run_id, task_id, attempt)
    REFERENCES pipeline_task_attempts (run_id, task_id, attempt) ON DELETE CASCADE
);
