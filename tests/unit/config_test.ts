import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { CONFIG_AWS_SECRET, CONFIG_DB_PASSWORD, CONFIG_TMDB_KEY } from "../helpers/secrets.ts";

Deno.test("loadConfig() with an empty environment uses the embedded defaults", () => {
  const c = loadConfig({});
  assert.equal(c.dataDir, "./.reelrank");
  assert.equal(c.databaseUrl, undefined);
  assert.match(c.objectStoreUrl, /^file:\/\/.*\.reelrank\/objects$/);
  assert.equal(c.tmdb.baseUrl, "https://api.themoviedb.org/3");
  assert.equal(c.logLevel, "warn");
  assert.equal(c.port, 8000);
  assert.deepEqual(c.secrets, []);
});

Deno.test("loadConfig() names the variable and the fix when a value is wrong", () => {
  assert.throws(
    () => loadConfig({ DATABASE_URL: "mysql://x" }),
    /DATABASE_URL must start with postgres/,
  );
  assert.throws(
    () => loadConfig({ PORT: "eighty" }),
    /PORT must be a positive integer, got "eighty"/,
  );
  assert.throws(() => loadConfig({ LOG_LEVEL: "loud" }), /LOG_LEVEL must be one of/);
  assert.throws(() => loadConfig({ OBJECT_STORE_URL: "ftp://x" }), /OBJECT_STORE_URL must be/);
  assert.throws(() => loadConfig({ TMDB_RATE_LIMIT: "-1" }), /TMDB_RATE_LIMIT/);
});

Deno.test("loadConfig() turns S3_BUCKET into an s3:// store with path style for a custom endpoint", () => {
  const c = loadConfig({
    S3_BUCKET: "models",
    S3_PREFIX: "prod/",
    S3_ENDPOINT: "http://127.0.0.1:9000",
  });
  assert.equal(c.objectStoreUrl, "s3://models/prod/");
  assert.equal(c.s3.forcePathStyle, true);
});

Deno.test("loadConfig() collects every secret so the logger can scrub it, the database password included", () => {
  const c = loadConfig({
    TMDB_API_KEY: CONFIG_TMDB_KEY,
    AWS_SECRET_ACCESS_KEY: CONFIG_AWS_SECRET,
    DATABASE_URL: `postgres://app:${CONFIG_DB_PASSWORD}@db:5432/reelrank`,
  });
  assert.deepEqual(
    [...c.secrets].sort(),
    [CONFIG_AWS_SECRET, CONFIG_DB_PASSWORD, CONFIG_TMDB_KEY].sort(),
  );
});

Deno.test("loadConfig() reads the drift threshold and the retrain switch, and names a bad value", () => {
  assert.deepEqual(loadConfig({}).drift, { threshold: 0.2, retrain: false });
  assert.deepEqual(
    loadConfig({ REELRANK_DRIFT_THRESHOLD: "0.35", REELRANK_DRIFT_RETRAIN: "true" }).drift,
    { threshold: 0.35, retrain: true },
  );
  assert.throws(
    () => loadConfig({ REELRANK_DRIFT_THRESHOLD: "high" }),
    /REELRANK_DRIFT_THRESHOLD must be a positive number, got "high"/,
  );
  assert.throws(
    () => loadConfig({ REELRANK_DRIFT_RETRAIN: "maybe" }),
    /REELRANK_DRIFT_RETRAIN must be true or false, got "maybe"/,
  );
});

Deno.test("loadConfig() reads the family memory limit and the gate's coverage tolerance, refusing bad values by name", () => {
  const d = loadConfig({});
  assert.equal(d.familyMemoryMiB, 1536);
  assert.equal(d.gateCoverageTolerance, undefined);
  const c = loadConfig({
    REELRANK_FAMILY_MEMORY_MIB: "512",
    REELRANK_GATE_COVERAGE_TOLERANCE: "0.02",
  });
  assert.equal(c.familyMemoryMiB, 512);
  assert.equal(c.gateCoverageTolerance, 0.02);
  assert.equal(loadConfig({ REELRANK_GATE_COVERAGE_TOLERANCE: "0" }).gateCoverageTolerance, 0);
  assert.throws(
    () => loadConfig({ REELRANK_FAMILY_MEMORY_MIB: "4096" }),
    /REELRANK_FAMILY_MEMORY_MIB must be an integer in 64\.\.1920/,
  );
  assert.throws(
    () => loadConfig({ REELRANK_GATE_COVERAGE_TOLERANCE: "5%" }),
    /REELRANK_GATE_COVERAGE_TOLERANCE must be a number in \[0, 1\]/,
  );
});

Deno.test("loadConfig() reads the impression buffer's bound and refuses a bad one by name", () => {
  assert.equal(loadConfig({}).impressionBuffer, 10_000);
  assert.equal(loadConfig({ REELRANK_IMPRESSION_BUFFER: "500" }).impressionBuffer, 500);
  assert.throws(
    () => loadConfig({ REELRANK_IMPRESSION_BUFFER: "lots" }),
    /REELRANK_IMPRESSION_BUFFER must be a positive integer, got "lots"/,
  );
});

Deno.test("REELRANK_REUSE_PORT lets server processes share a port, only with PostgreSQL", () => {
  assert.equal(loadConfig({}).reusePort, false);
  const pg = "postgres://postgres@127.0.0.1:5432/test";
  assert.equal(loadConfig({ DATABASE_URL: pg, REELRANK_REUSE_PORT: "true" }).reusePort, true);
  assert.throws(
    () => loadConfig({ REELRANK_REUSE_PORT: "true" }),
    /REELRANK_REUSE_PORT=true needs DATABASE_URL/,
  );
  assert.throws(
    () => loadConfig({ DATABASE_URL: pg, REELRANK_REUSE_PORT: "maybe" }),
    /REELRANK_REUSE_PORT must be true or false/,
  );
});
