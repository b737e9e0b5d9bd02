-- Online evaluation (src/online, issue 13): what was shown (impressions), what users did with it
-- (outcomes), what staging would have shown (shadow lists), and the canary's settings.

-- One recommendation answer as shown: written in batches off the request path, so a crash loses
-- at most the last flush interval. movie_ids[i] is the movie at position i (1-based).
CREATE TABLE impressions (
  id text PRIMARY KEY,
  model text NOT NULL,
  -- A stored user, or an anonymous visitor's id (never both); both null for an anonymous visitor
  -- who sent no id.
  user_id bigint,
  visitor_id text,
  -- Null for popularity answers.
  version integer,
  -- production, staging (canary) or browser (ranked in the visitor's browser).
  arm text NOT NULL CHECK (arm IN ('production', 'staging', 'browser')),
  strategy text NOT NULL CHECK (strategy IN ('model', 'popularity', 'similar')),
  movie_ids bigint[] NOT NULL,
  shown_at timestamptz NOT NULL,
  CHECK (user_id IS NULL OR visitor_id IS NULL)
);
CREATE INDEX impressions_shown_at_idx ON impressions (shown_at);

-- A click or a watch on a shown movie; one per impression, type and position, so a retried event
-- changes nothing. No foreign key: the outcome may arrive before its impression is flushed.
CREATE TABLE impression_outcomes (
  impression_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('click', 'watch')),
  position integer NOT NULL CHECK (position >= 1),
  movie_id bigint NOT NULL,
  event_id text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (impression_id, type, position)
);

-- Shadow serving: the list staging ranked for a sample of production's impressions (not shown).
CREATE TABLE shadow_lists (
  impression_id text PRIMARY KEY,
  staging_version integer NOT NULL,
  movie_ids bigint[] NOT NULL,
  -- Share of production's top 10 that staging's top 10 also holds.
  overlap10 real NOT NULL CHECK (overlap10 >= 0 AND overlap10 <= 1),
  at timestamptz NOT NULL
);

-- The canary of a model: the share of users staging serves, the share of production traffic
-- staging shadows, and the automatic promotion rule. started_at opens the comparison window.
CREATE TABLE canary_settings (
  model text PRIMARY KEY,
  share real NOT NULL CHECK (share >= 0 AND share <= 1),
  shadow_share real NOT NULL CHECK (shadow_share >= 0 AND shadow_share <= 1),
  auto_promote boolean NOT NULL,
  min_impressions integer NOT NULL CHECK (min_impressions >= 1),
  alpha real NOT NULL CHECK (alpha > 0 AND alpha < 1),
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
