-- Serving (src/serving, src/api): events posted to the API, and top-k recommendations written in
-- batch for every user, per model version.

-- Users may first appear through POST /api/v1/events.
ALTER TABLE users DROP CONSTRAINT users_source_check;
ALTER TABLE users ADD CONSTRAINT users_source_check
  CHECK (source IN ('movielens', 'synthetic', 'event'));

-- One row per accepted event, keyed by the client's eventId: a retried POST finds its row and
-- changes nothing. The interaction it implies is upserted into interactions (source 'event').
CREATE TABLE events (
  event_id text PRIMARY KEY,
  user_id bigint NOT NULL,
  movie_id bigint NOT NULL,
  type text NOT NULL CHECK (type IN ('watch', 'rate')),
  rating real CHECK (rating IS NULL OR (rating >= 0.5 AND rating <= 5)),
  watch_seconds integer CHECK (watch_seconds IS NULL OR watch_seconds >= 0),
  -- Seconds since the epoch, like interactions.ts.
  ts bigint NOT NULL,
  received_at timestamptz NOT NULL
);
CREATE INDEX events_user_id_idx ON events (user_id);

-- A finished batch for one model version: rows below are complete once this row exists.
CREATE TABLE batch_recommendation_runs (
  model text NOT NULL,
  version integer NOT NULL,
  k integer NOT NULL CHECK (k >= 1),
  users integer NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (model, version)
);

CREATE TABLE batch_recommendations (
  model text NOT NULL,
  version integer NOT NULL,
  user_id bigint NOT NULL,
  rank integer NOT NULL CHECK (rank >= 1),
  movie_id bigint NOT NULL,
  score real NOT NULL,
  PRIMARY KEY (model, version, user_id, rank)
);
