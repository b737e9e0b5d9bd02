-- Model families (src/model/families, issue 15): nested runs and the gate's coverage guard.

-- MLflow's nested runs: a family comparison (or a hyperparameter search) is a parent run whose
-- children are the runs it trained. A child outlives a deleted parent as a top-level run.
ALTER TABLE runs ADD COLUMN parent_run_id text REFERENCES runs (id) ON DELETE SET NULL;
CREATE INDEX runs_parent_idx ON runs (parent_run_id, start_time, id) WHERE parent_run_id IS NOT NULL;

-- The optional coverage guard of the promotion gate, recorded with its decision:
-- {"metric", "tolerance", "candidateValue", "productionValue", "passed"}; null when not configured.
ALTER TABLE promotion_decisions ADD COLUMN guard jsonb;

-- Which family a model version is (mlp, ease, itemknn); null for versions registered before.
ALTER TABLE model_versions ADD COLUMN family text CHECK (family IS NULL OR family ~ '^[a-z][a-z0-9_-]*$');
