-- Model registry (src/registry): registered models, numbered versions, aliases with history,
-- and the promotion gate's decisions.

CREATE TABLE registered_models (
  name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  created_at    timestamptz NOT NULL,
  -- Version numbers are allocated by incrementing this under the row lock, so concurrent
  -- registrations get 1, 2, 3… without gaps or duplicates; the primary key below is the backstop.
  last_version  integer NOT NULL DEFAULT 0
);

CREATE TABLE model_versions (
  model         text NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
  version       integer NOT NULL CHECK (version >= 1),
  artifact_key  text NOT NULL,
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size >= 0),
  run_id        text REFERENCES runs (id) ON DELETE SET NULL,
  snapshot_id   text,
  metrics       jsonb NOT NULL DEFAULT '{}'::jsonb,
  description   text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX model_versions_run_idx ON model_versions (run_id);

CREATE TABLE model_aliases (
  model       text NOT NULL,
  alias       text NOT NULL CHECK (alias ~ '^[a-z][a-z0-9_-]*$'),
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version) ON DELETE CASCADE
);

-- Every alias move, in order; rollback() replays it to find the previous production version.
CREATE TABLE model_alias_history (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model         text NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
  alias         text NOT NULL,
  from_version  integer,
  to_version    integer,
  kind          text NOT NULL CHECK (kind IN ('set', 'promote', 'gate', 'rollback')),
  reason        text NOT NULL DEFAULT '',
  changed_at    timestamptz NOT NULL
);
CREATE INDEX model_alias_history_idx ON model_alias_history (model, alias, id);

-- What the promotion gate decided and why, with both numbers.
CREATE TABLE promotion_decisions (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model               text NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
  version             integer NOT NULL,
  metric              text NOT NULL,
  candidate_value     double precision,
  production_version  integer,
  production_value    double precision,
  promoted            boolean NOT NULL,
  reason              text NOT NULL,
  decided_at          timestamptz NOT NULL
);
CREATE INDEX promotion_decisions_model_idx ON promotion_decisions (model, id);
