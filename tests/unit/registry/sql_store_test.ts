/** SqlModelRegistry on PGlite and PostgreSQL: numbering, the promotion gate, aliases, rollback, verified loading. */
import assert from "node:assert/strict";
import { dbTest } from "../../helpers/db.ts";
import type { Database } from "../../../src/db/types.ts";
import { ReelrankError } from "../../../src/errors.ts";
import { loadAliased } from "../../../src/registry/artifacts.ts";
import { SqlModelRegistry } from "../../../src/registry/sql_store.ts";
import { FsObjectStore } from "../../../src/storage/fs.ts";
import { SqlTrackingStore } from "../../../src/tracking/sql_store.ts";
import { fakeClock, MemoryObjectStore } from "../tracking/support.ts";

function setup(db: Database) {
  const clock = fakeClock();
  const objects = new MemoryObjectStore();
  return {
    clock,
    objects,
    registry: new SqlModelRegistry(db, { objects, clock: clock.now }),
    tracking: new SqlTrackingStore(db, { objects, clock: clock.now }),
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);

function isError(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ReelrankError, `expected a ReelrankError, got ${err}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}

dbTest("versions are numbered 1, 2, 3 per model and keep their lineage", async (db) => {
  const { registry, tracking } = setup(db);
  const run = await tracking.createRun({ experiment: "train", snapshotId: "snap-9" });
  const v1 = await registry.registerVersion("reelrank", {
    artifact: bytes("one"),
    runId: run.id,
    snapshotId: "snap-9",
    metrics: { val_ndcg10: 0.05, test_ndcg10: 0.06 },
  });
  const v2 = await registry.registerVersion("reelrank", { artifact: bytes("two") });
  const other = await registry.registerVersion("other", { artifact: bytes("x") });
  assert.deepEqual([v1.version, v2.version, other.version], [1, 2, 1]);
  assert.equal(v1.runId, run.id);
  assert.equal(v1.snapshotId, "snap-9");
  assert.deepEqual(v1.metrics, { val_ndcg10: 0.05, test_ndcg10: 0.06 });
  assert.equal(v1.size, 3);
  assert.match(v1.artifactKey, /^models\/reelrank\/sha256-[0-9a-f]{64}\.bin$/);
  assert.deepEqual((await registry.listVersions("reelrank")).map((v) => v.version), [2, 1]);
  assert.equal((await registry.getModel("reelrank")).latestVersion, 2);
  await assert.rejects(
    registry.getVersion("reelrank", 7),
    isError("NOT_FOUND", /no version 7; versions are 1\.\.2/),
  );
  await assert.rejects(
    registry.getModel("ghost"),
    isError("NOT_FOUND", /"ghost" is not registered/),
  );
});

dbTest(
  "registering the same artifact from the same run again returns the existing version",
  async (db) => {
    const { registry, tracking } = setup(db);
    const run = await tracking.createRun({ experiment: "train" });
    const a = await registry.registerVersion("reelrank", { artifact: bytes("w"), runId: run.id });
    const b = await registry.registerVersion("reelrank", { artifact: bytes("w"), runId: run.id });
    assert.equal(a.version, b.version);
    assert.equal((await registry.getModel("reelrank")).latestVersion, 1);
  },
);

dbTest("concurrent registrations get distinct consecutive version numbers", async (db) => {
  const { registry } = setup(db);
  const versions = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => registry.registerVersion("reelrank", { artifact: bytes(`m${i}`) }),
    ),
  );
  assert.deepEqual(versions.map((v) => v.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
});

dbTest(
  "promoteIfBetter() promotes the first version when no production version exists",
  async (db) => {
    const { registry } = setup(db);
    await registry.registerVersion("reelrank", {
      artifact: bytes("a"),
      metrics: { val_ndcg10: 0.02 },
    });
    const d = await registry.promoteIfBetter("reelrank", 1);
    assert.equal(d.promoted, true);
    assert.deepEqual([d.candidateValue, d.productionVersion, d.productionValue], [
      0.02,
      null,
      null,
    ]);
    assert.match(d.reason, /no production version/);
    assert.equal((await registry.getAlias("reelrank", "production"))?.version, 1);
  },
);

dbTest(
  "promoteIfBetter() promotes a version whose NDCG@10 beats production and records both numbers",
  async (db) => {
    const { registry } = setup(db);
    await registry.registerVersion("reelrank", {
      artifact: bytes("a"),
      metrics: { val_ndcg10: 0.05 },
    });
    await registry.promote("reelrank", 1);
    await registry.registerVersion("reelrank", {
      artifact: bytes("b"),
      metrics: { val_ndcg10: 0.07 },
    });
    const d = await registry.promoteIfBetter("reelrank", 2);
    assert.equal(d.promoted, true);
    assert.deepEqual([d.metric, d.candidateValue, d.productionVersion, d.productionValue], [
      "val_ndcg10",
      0.07,
      1,
      0.05,
    ]);
    assert.equal((await registry.getAlias("reelrank", "production"))?.version, 2);
    const [recorded] = await registry.listDecisions("reelrank");
    assert.deepEqual(recorded, d);
    const last = (await registry.aliasHistory("reelrank")).at(-1)!;
    assert.deepEqual([last.fromVersion, last.toVersion, last.kind], [1, 2, "gate"]);
  },
);

dbTest(
  "promoteIfBetter() keeps the current model when NDCG@10 does not improve, equal included",
  async (db) => {
    const { registry } = setup(db);
    await registry.registerVersion("reelrank", {
      artifact: bytes("a"),
      metrics: { val_ndcg10: 0.05 },
    });
    await registry.promote("reelrank", 1);
    await registry.registerVersion("reelrank", {
      artifact: bytes("b"),
      metrics: { val_ndcg10: 0.04 },
    });
    await registry.registerVersion("reelrank", {
      artifact: bytes("c"),
      metrics: { val_ndcg10: 0.05 },
    });
    await registry.registerVersion("reelrank", {
      artifact: bytes("d"),
      metrics: { test_ndcg10: 0.9 },
    });
    const worse = await registry.promoteIfBetter("reelrank", 2);
    const equal = await registry.promoteIfBetter("reelrank", 3);
    const missing = await registry.promoteIfBetter("reelrank", 4);
    assert.deepEqual([worse.promoted, equal.promoted, missing.promoted], [false, false, false]);
    assert.deepEqual([worse.candidateValue, worse.productionValue], [0.04, 0.05]);
    assert.match(
      equal.reason,
      /does not beat 0\.05 of production version 1 \(equal is not better\)/,
    );
    assert.match(missing.reason, /version 4 has no finite val_ndcg10/);
    assert.equal((await registry.getAlias("reelrank", "production"))?.version, 1);
    assert.deepEqual((await registry.listDecisions("reelrank")).map((d) => d.version), [4, 3, 2]);
  },
);

dbTest("concurrent gate decisions end with the best version in production", async (db) => {
  const { registry } = setup(db);
  await registry.registerVersion("reelrank", {
    artifact: bytes("a"),
    metrics: { val_ndcg10: 0.05 },
  });
  await registry.promote("reelrank", 1);
  for (const [s, val] of [["b", 0.06], ["c", 0.08], ["d", 0.07]] as const) {
    await registry.registerVersion("reelrank", {
      artifact: bytes(s),
      metrics: { val_ndcg10: val },
    });
  }
  const decisions = await Promise.all(
    [2, 3, 4].map((v) => registry.promoteIfBetter("reelrank", v)),
  );
  assert.equal(decisions.find((d) => d.version === 3)?.promoted, true);
  assert.equal((await registry.getAlias("reelrank", "production"))?.version, 3);
  // Each decision saw the production version left by the one before it (the model row lock).
  const ordered = [...await registry.listDecisions("reelrank")].reverse();
  let production = 1;
  for (const d of ordered) {
    assert.equal(d.productionVersion, production);
    if (d.promoted) production = d.version;
  }
});

dbTest("setAliases() moves several aliases in one transaction or none at all", async (db) => {
  const { registry } = setup(db);
  for (const s of ["a", "b", "c"]) {
    await registry.registerVersion("reelrank", { artifact: bytes(s) });
  }
  await registry.setAliases("reelrank", { production: 1, staging: 2 });
  // Version 9 does not exist: the staging move before it must be rolled back with it.
  await assert.rejects(
    registry.setAliases("reelrank", { staging: 3, production: 9 }),
    isError("NOT_FOUND", /no version 9/),
  );
  assert.deepEqual((await registry.getModel("reelrank")).aliases, { production: 1, staging: 2 });
  const changes = await registry.setAliases("reelrank", { production: 2, staging: null }, {
    reason: "swap",
  });
  assert.deepEqual(changes.map((c) => [c.alias, c.fromVersion, c.toVersion]), [
    ["production", 1, 2],
    ["staging", 2, null],
  ]);
  assert.deepEqual((await registry.getModel("reelrank")).aliases, { production: 2 });
  assert.deepEqual((await registry.getVersion("reelrank", 2)).aliases, ["production"]);
  assert.equal((await registry.aliasHistory("reelrank")).length, 4);
});

dbTest(
  "rollback() steps production back through its history, or to a given version",
  async (db) => {
    const { registry } = setup(db);
    for (const s of ["a", "b", "c", "d"]) {
      await registry.registerVersion("reelrank", {
        artifact: bytes(s),
      });
    }
    await registry.promote("reelrank", 1);
    await registry.promote("reelrank", 2);
    await registry.promote("reelrank", 3);
    const first = await registry.rollback("reelrank");
    assert.deepEqual([first.fromVersion, first.toVersion, first.kind], [3, 2, "rollback"]);
    const second = await registry.rollback("reelrank");
    assert.deepEqual([second.fromVersion, second.toVersion], [2, 1]);
    await assert.rejects(
      registry.rollback("reelrank"),
      isError("CONFLICT", /no earlier production version/),
    );
    const explicit = await registry.rollback("reelrank", { version: 3 });
    assert.equal(explicit.toVersion, 3);
    assert.equal((await registry.getAlias("reelrank", "production"))?.version, 3);
    await assert.rejects(
      registry.rollback("reelrank", { version: 3 }),
      isError("CONFLICT", /already production/),
    );
    await assert.rejects(
      registry.rollback("reelrank", { version: 12 }),
      isError("NOT_FOUND", /no version 12/),
    );
  },
);

dbTest(
  "loadArtifact() returns verified bytes and refuses an altered artifact with CORRUPT",
  async (db) => {
    const { registry, objects } = setup(db);
    const v = await registry.registerVersion("reelrank", { artifact: bytes("checkpoint") });
    await registry.promote("reelrank", 1);
    assert.deepEqual((await loadAliased(registry, "reelrank")).bytes, bytes("checkpoint"));
    await objects.put(v.artifactKey, bytes("checkpoinT"));
    await assert.rejects(
      registry.loadArtifact("reelrank", 1),
      isError(
        "CORRUPT",
        /version 1 is altered: expected 10 bytes with sha256 [0-9a-f]{64}, got 10 bytes with sha256/,
      ),
    );
    await objects.put(v.artifactKey, bytes("short"));
    await assert.rejects(loadAliased(registry, "reelrank"), isError("CORRUPT", /got 5 bytes/));
  },
);

dbTest(
  "loadArtifact() refuses an artifact altered on disk in the folder object store",
  async (db) => {
    const dir = await Deno.makeTempDir({ prefix: "reelrank-registry-" });
    try {
      const registry = new SqlModelRegistry(db, { objects: new FsObjectStore(dir) });
      const v1 = await registry.registerVersion("reelrank", { artifact: bytes("good weights") });
      await registry.promote("reelrank", 1);
      await Deno.writeTextFile(`${dir}/${v1.artifactKey}`, "evil weights");
      await assert.rejects(
        loadAliased(registry, "reelrank"),
        isError("CORRUPT", /version 1 is altered/),
      );
      // The registry itself is untouched: production still names version 1 and its recorded digest.
      const prod = await registry.getAlias("reelrank", "production");
      assert.deepEqual([prod?.version, prod?.sha256], [1, v1.sha256]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest(
  "a version can point at a run's artifact, which must exist with the given size",
  async (db) => {
    const { registry, tracking } = setup(db);
    const run = await tracking.createRun({ experiment: "train", id: "r-art" });
    const a = await tracking.logArtifact(run.id, "model.ckpt", bytes("weights"));
    const v = await registry.registerVersion("reelrank", {
      artifact: { key: a.key, sha256: a.sha256, size: a.size },
      runId: run.id,
    });
    assert.equal(v.artifactKey, "runs/r-art/model.ckpt");
    assert.deepEqual((await registry.loadArtifact("reelrank", v.version)).bytes, bytes("weights"));
    await assert.rejects(
      registry.registerVersion("reelrank", {
        artifact: { key: a.key, sha256: a.sha256, size: 99 },
      }),
      isError("CORRUPT", /has 7 bytes in the object store, not the 99 given/),
    );
    await assert.rejects(
      registry.registerVersion("reelrank", {
        artifact: { key: "runs/none", sha256: a.sha256, size: 1 },
      }),
      isError("NOT_FOUND", /"runs\/none" is not in the object store/),
    );
  },
);

dbTest(
  "a registry configured with a coverage guard keeps production when coverage drops too far and records the guard with the decision",
  async (db) => {
    const clock = fakeClock();
    const objects = new MemoryObjectStore();
    const registry = new SqlModelRegistry(db, {
      objects,
      clock: clock.now,
      coverage: { tolerance: 0.01 },
    });
    await registry.registerVersion("reelrank", {
      artifact: bytes("a"),
      metrics: { val_ndcg10: 0.05, val_coverage10: 0.2 },
    });
    await registry.promote("reelrank", 1);
    await registry.registerVersion("reelrank", {
      artifact: bytes("b"),
      metrics: { val_ndcg10: 0.07, val_coverage10: 0.1 },
    });
    const d = await registry.promoteIfBetter("reelrank", 2);
    assert.equal(d.promoted, false);
    assert.deepEqual(d.guard, {
      metric: "val_coverage10",
      tolerance: 0.01,
      candidateValue: 0.1,
      productionValue: 0.2,
      passed: false,
    });
    assert.equal((await registry.getAlias("reelrank", "production"))?.version, 1);
    const [recorded] = await registry.listDecisions("reelrank");
    assert.deepEqual(recorded, d);
    // A call may turn the guard off; the decision then records none.
    const free = await registry.promoteIfBetter("reelrank", 2, { coverage: null });
    assert.deepEqual([free.promoted, free.guard], [true, null]);
    await assert.rejects(
      registry.promoteIfBetter("reelrank", 2, { coverage: { tolerance: 2 } }),
      isError("INVALID_PARAMETER", /coverage tolerance must be a number in \[0, 1\], got 2/),
    );
  },
);
