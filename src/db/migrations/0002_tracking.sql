-- Experiment tracking (src/tracking): experiments, runs, params, tags, metric history, artifacts.
-- Timestamps are written by the store from its injectable clock, never by now(), so tests are exact.

CREATE TABLE experiments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name <> ''),
  created_at  timestamptz NOT NULL
);

CREATE TABLE runs (
  id             text PRIMARY KEY,
  experiment_id  bigint NOT NULL REFERENCES experiments (id),
  name           text NOT NULL DEFAULT '',
  status         text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
  status_reason  text,
  start_time     timestamptz NOT NULL,
  end_time       timestamptz,
  heartbeat_at   timestamptz NOT NULL,
  code_version   text,
  snapshot_id    text,
  -- A finished, failed or killed run has an end time; a running one does not.
  CHECK ((status = 'running') = (end_time IS NULL))
);
-- Search orders by start time (keyset pages on (start_time, id)); the reaper scans running runs.
CREATE INDEX runs_experiment_start_idx ON runs (experiment_id, start_time, id);
CREATE INDEX runs_start_idx ON runs (start_time, id);
CREATE INDEX runs_running_heartbeat_idx ON runs (heartbeat_at) WHERE status = 'running';

-- Params are immutable once logged (MLflow's rule): the store refuses a different value.
CREATE TABLE run_params (
  run_id  text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key     text NOT NULL,
  value   text NOT NULL,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE run_tags (
  run_id  text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key     text NOT NULL,
  value   text NOT NULL,
  PRIMARY KEY (run_id, key)
);

-- One value per (run, key, step): re-logging a step replaces it, so a retried epoch never duplicates.
-- The primary key also serves "latest value of a metric" (highest step) in searches.
CREATE TABLE run_metrics (
  run_id     text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key        text NOT NULL,
  step       bigint NOT NULL,
  value      double precision NOT NULL,
  logged_at  timestamptz NOT NULL,
  PRIMARY KEY (run_id, key, step)
);

CREATE TABLE run_artifacts (
  run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path        text NOT NULL,
  object_key  text NOT NULL,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size        bigint NOT NULL CHECK (size >= 0),
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (run_id, path)
);
