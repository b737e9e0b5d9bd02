/**
 * Every secret value the tests hand to reelrank — API keys, tokens, passwords — in one place. CI
 * scans the whole suite's output and every log line it produced for each of them, raw, URL-encoded
 * and base64 (tests/secret_scan.ts, run by .ci/run), so a test that needs a secret takes it from
 * here. Wrong tokens a test sends on purpose are not secrets and stay in their tests.
 */

/** The admin token of the serving fixture and the observed server. */
export const ADMIN_TOKEN = "test-admin-token-0123456789";
/** The admin token of the fault-injection processes. */
export const FAULT_ADMIN_TOKEN = "fault-test-admin-token-0123456789";
/** The admin token a test sets through the environment (admin_token_test). */
export const ENV_ADMIN_TOKEN = "from-the-environment-123";
/** The admin token loadConfig() must accept and scrub (admin_token_test). */
export const CONFIG_ADMIN_TOKEN = "a-long-enough-admin-token";

/** TMDB API keys and read token of the fake TMDB server's tests. */
export const TMDB_KEY = "test-key-0123456789abcdef";
export const TMDB_OTHER_KEY = "the-right-key";
export const TMDB_READ_TOKEN = "read-token-xyz";
export const TMDB_INGEST_KEY = "fake-key-abcdef";
export const TMDB_SNAPSHOT_KEY = "k-123456";
export const TMDB_ESCAPING_KEY = "fake-key-escaping";

/** The representative run of tests/integration/logs_test.ts, every kind of secret configured. */
export const CORPUS_TMDB_KEY = "tmdb-key-corpus-7c1e9a";
export const CORPUS_AWS_SECRET = "aws-secret-corpus-4b2d8f";
export const CORPUS_DB_PASSWORD = "db-pass-corpus-9f8e7d";

/** The secrets loadConfig() collects for the logger to scrub (config_test). */
export const CONFIG_TMDB_KEY = "tmdb-key-123";
export const CONFIG_AWS_SECRET = "aws-secret-456";
export const CONFIG_DB_PASSWORD = "db-pass-789";

/** A database password that an unreachable PostgreSQL's error must not carry (open_test). */
export const UNREACHABLE_DB_PASSWORD = "s3cretpw";
/** A secret the logger is told to scrub from a line that carries it (log_test). */
export const LOGGED_SECRET = "s3cr3t-token";

/** Every secret above by name (the scan reports names, never the values). */
export const TEST_SECRETS: Readonly<Record<string, string>> = Object.freeze({
  ADMIN_TOKEN,
  FAULT_ADMIN_TOKEN,
  ENV_ADMIN_TOKEN,
  CONFIG_ADMIN_TOKEN,
  TMDB_KEY,
  TMDB_OTHER_KEY,
  TMDB_READ_TOKEN,
  TMDB_INGEST_KEY,
  TMDB_SNAPSHOT_KEY,
  TMDB_ESCAPING_KEY,
  CORPUS_TMDB_KEY,
  CORPUS_AWS_SECRET,
  CORPUS_DB_PASSWORD,
  CONFIG_TMDB_KEY,
  CONFIG_AWS_SECRET,
  CONFIG_DB_PASSWORD,
  UNREACHABLE_DB_PASSWORD,
  LOGGED_SECRET,
});
