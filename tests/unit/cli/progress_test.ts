/** The training progress bar with a fake clock and a capturing writer: fraction, ETA, line contents, throttling; where `train` sends it. */
import assert from "node:assert/strict";
import { formatSeconds, TrainingProgress } from "../../../src/cli/progress.ts";
import { formatEpoch } from "../../../src/cli/report.ts";
import { progressReporter } from "../../../src/cli/train.ts";
import { loadConfig } from "../../../src/config.ts";
import type { EpochLog } from "../../../src/model/mod.ts";

function setup(options: { members?: number; epochs?: number; start?: number } = {}) {
  const clock = { t: options.start ?? 1_000 };
  const writes: string[] = [];
  const bar = new TrainingProgress({
    members: options.members ?? 2,
    epochs: options.epochs ?? 4,
    write: (text) => writes.push(text),
    now: () => clock.t,
  });
  return { bar, clock, writes };
}

function log(o: Partial<EpochLog> & { member: number; epoch: number }): EpochLog {
  return { loss: 2.5, valNdcg10: 0.1, valHr10: 0.2, seconds: 1, best: true, last: false, ...o };
}

const step = (member: number, epoch: number, s: number, steps = 10) => ({
  member,
  epoch,
  step: s,
  steps,
});

Deno.test("the fraction grows with steps and epochs, averaged over the members", () => {
  const { bar } = setup();
  assert.equal(bar.fraction, 0);
  bar.step(step(1, 1, 5));
  assert.equal(bar.fraction, (0.5 / 4) / 2);
  bar.epoch(log({ member: 1, epoch: 1 }));
  assert.equal(bar.fraction, (1 / 4) / 2);
  bar.step(step(2, 1, 10));
  assert.equal(bar.fraction, 0.25);
  bar.step(step(1, 3, 2));
  assert.equal(bar.fraction, ((2 + 0.2) / 4 + 1 / 4) / 2);
});

Deno.test("a member's last epoch (early stopping) completes its share of the bar", () => {
  const { bar } = setup();
  bar.epoch(log({ member: 2, epoch: 1 }));
  bar.epoch(log({ member: 1, epoch: 2, last: true }));
  assert.equal(bar.fraction, (1 + 0.25) / 2);
  bar.epoch(log({ member: 2, epoch: 4, last: true }));
  assert.equal(bar.fraction, 1);
  assert.match(bar.line(), /100%/);
  assert.match(bar.line(), /█{24}/);
});

Deno.test("the ETA is the elapsed time scaled by what is left over what is done", () => {
  const { bar, clock } = setup({ members: 1, epochs: 4 });
  assert.match(bar.line(), /ETA …$/, "no estimate before any progress");
  clock.t += 10_000;
  bar.step(step(1, 1, 1, 100)); // 0.25 % done: too little to extrapolate
  assert.match(bar.line(), /ETA …$/);
  bar.step(step(1, 1, 50, 100)); // 12.5 % in 10 s → 70 s left
  assert.match(bar.line(), /ETA 1 min 10 s$/);
  clock.t += 10_000;
  bar.epoch(log({ member: 1, epoch: 2 })); // 50 % in 20 s → 20 s left
  assert.match(bar.line(), /ETA 20 s$/);
  assert.match(bar.line(), /^training █{12}░{12} {2}50%/);
});

Deno.test("the line names the member, epoch, loss and validation NDCG@10 of the latest epoch", () => {
  const { bar } = setup({ members: 3, epochs: 8 });
  assert.match(bar.line(), / · 3 members · /, "before the first epoch: how many members");
  bar.epoch(log({ member: 2, epoch: 5, loss: 3.14159, valNdcg10: 0.07514 }));
  const line = bar.line();
  assert.match(line, /member 2\/3 epoch 5\/8/);
  assert.match(line, /loss 3\.142/);
  assert.match(line, /val NDCG@10 0\.0751/);
  assert.ok(!line.includes("\n") && !line.includes("\r"), "one line");
});

Deno.test("every draw rewrites the line in place and finish() clears it", () => {
  const { bar, writes } = setup();
  bar.epoch(log({ member: 1, epoch: 1 }));
  assert.equal(writes.length, 1);
  assert.ok(writes[0].startsWith("\r\x1b[2K"), JSON.stringify(writes[0]));
  assert.equal(writes[0].slice(5), bar.line());
  bar.finish();
  assert.equal(writes.at(-1), "\r\x1b[2K");
});

Deno.test("step redraws are throttled to one per 100 ms, epoch redraws are not", () => {
  const { bar, clock, writes } = setup();
  bar.step(step(1, 1, 1));
  assert.equal(writes.length, 1, "the first step draws");
  clock.t += 50;
  bar.step(step(1, 1, 2));
  clock.t += 49;
  bar.step(step(1, 1, 3));
  assert.equal(writes.length, 1, "steps within 100 ms of the last draw are not drawn");
  assert.equal(bar.fraction, (0.3 / 4) / 2, "but they still count");
  clock.t += 1;
  bar.step(step(1, 1, 4));
  assert.equal(writes.length, 2, "100 ms later a step draws again");
  assert.match(writes[1], / {3}5% /);
  bar.epoch(log({ member: 1, epoch: 1 }));
  bar.epoch(log({ member: 2, epoch: 1 }));
  assert.equal(writes.length, 4, "epochs always draw");
  bar.step(step(1, 2, 1));
  assert.equal(writes.length, 4, "an epoch draw restarts the 100 ms window");
});

Deno.test("formatSeconds() writes seconds, then minutes and seconds", () => {
  assert.equal(formatSeconds(42.4), "42 s");
  assert.equal(formatSeconds(59.6), "1 min 0 s");
  assert.equal(formatSeconds(185), "3 min 5 s");
  assert.equal(formatSeconds(-3), "0 s");
  assert.equal(formatSeconds(Infinity), "…");
});

/** A stand-in stderr that records what is written, as a terminal or as a file. */
function capture(terminal: boolean) {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  const out = {
    isTerminal: () => terminal,
    writeSync: (bytes: Uint8Array) => (writes.push(decoder.decode(bytes)), bytes.length),
  };
  return { out, writes };
}

// Drives a reporter through two epochs of one member, as training does.
function drive(p: ReturnType<typeof progressReporter>) {
  p.onStep?.(step(1, 1, 5));
  p.onEpoch?.(log({ member: 1, epoch: 1 }));
  p.onStep?.(step(1, 2, 5));
  p.onEpoch?.(log({ member: 1, epoch: 2, last: true }));
  p.finish();
}

Deno.test("progressReporter() writes nothing with CI=true or --json, even on a terminal", () => {
  const ci = loadConfig({ CI: "true" }).ci;
  assert.equal(ci, true);
  for (const flags of [{ json: false, ci }, { json: true, ci: false }]) {
    const { out, writes } = capture(true);
    drive(progressReporter({ ...flags, members: 1, epochs: 2, out }));
    assert.deepEqual(writes, [], JSON.stringify(flags));
  }
});

Deno.test("progressReporter() draws the redrawn bar on a terminal and clears it at the end", () => {
  const { out, writes } = capture(true);
  drive(progressReporter({ json: false, ci: false, members: 1, epochs: 2, out }));
  assert.ok(writes.length >= 3, `${writes.length} writes`);
  for (const w of writes) assert.ok(w.startsWith("\r\x1b[2K"), JSON.stringify(w));
  assert.match(writes[0].slice("\r\x1b[2K".length), /^training [█░]{24} +\d+%/);
  assert.ok(
    writes.some((w) => / 100% · member 1\/1 epoch 2\/2 /.test(w)),
    "the last epoch fills it",
  );
  assert.equal(writes.at(-1), "\r\x1b[2K");
});

Deno.test("progressReporter() writes one plain line per epoch when stderr is a file", () => {
  const { out, writes } = capture(false);
  drive(progressReporter({ json: false, ci: false, members: 1, epochs: 2, out }));
  assert.deepEqual(writes, [
    `${formatEpoch(log({ member: 1, epoch: 1 }))}\n`,
    `${formatEpoch(log({ member: 1, epoch: 2, last: true }))}\n`,
  ]);
});
