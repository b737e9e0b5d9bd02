-- Impressions are appended in time order and only ever read by time window: a BRIN index on
-- shown_at answers those windows as the btree did, and costs an insert almost nothing (the btree
-- took about a third of each impression's insert into PGlite, on the server's main thread).
DROP INDEX impressions_shown_at_idx;
CREATE INDEX impressions_shown_at_brin ON impressions USING brin (shown_at);
