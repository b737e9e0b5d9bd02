/** The training progress bar: one redrawn terminal line with the fraction done, the latest epoch and an ETA. */
import type { EpochLog, StepProgress } from "../model/mod.ts";

const WIDTH = 24;

/**
 * Tracks every member's position (members train concurrently) and renders one line. Early
 * stopping ends members before their last epoch, so the ETA is an upper bound that shrinks.
 */
export class TrainingProgress {
  readonly #members: number;
  readonly #epochs: number;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #started: number;
  // Per member: epochs finished + the fraction of the current one; 1 when it stopped.
  readonly #done: number[];
  #last?: EpochLog;
  #drawn = -Infinity;

  constructor(
    options: { members: number; epochs: number; write: (text: string) => void; now?: () => number },
  ) {
    this.#members = options.members;
    this.#epochs = options.epochs;
    this.#write = options.write;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    this.#done = new Array(options.members).fill(0);
  }

  /** Fraction of the whole run done, in [0, 1]. */
  get fraction(): number {
    return this.#done.reduce((a, b) => a + b, 0) / this.#members;
  }

  /** A step inside an epoch. */
  step(p: StepProgress): void {
    this.#done[p.member - 1] = Math.min(1, (p.epoch - 1 + p.step / p.steps) / this.#epochs);
    this.#draw(false);
  }

  /** An epoch finished; a member's last one (early stopping) completes its share. */
  epoch(log: EpochLog): void {
    this.#done[log.member - 1] = log.last ? 1 : Math.min(1, log.epoch / this.#epochs);
    this.#last = log;
    this.#draw(true);
  }

  /** Clears the line when training is over. */
  finish(): void {
    this.#write("\r\x1b[2K");
  }

  /** The current line (without the carriage return), e.g. for tests. */
  line(): string {
    const f = this.fraction;
    const filled = Math.round(f * WIDTH);
    const bar = "█".repeat(filled) + "░".repeat(WIDTH - filled);
    const elapsed = (this.#now() - this.#started) / 1000;
    const eta = f > 0.02 ? `ETA ${formatSeconds(elapsed * (1 - f) / f)}` : "ETA …";
    const l = this.#last;
    const latest = l
      ? ` · member ${l.member}/${this.#members} epoch ${l.epoch}/${this.#epochs} · loss ${
        l.loss.toFixed(3)
      } · val NDCG@10 ${l.valNdcg10.toFixed(4)}`
      : ` · ${this.#members} member${this.#members > 1 ? "s" : ""}`;
    return `training ${bar} ${String(Math.floor(f * 100)).padStart(3)}%${latest} · ${eta}`;
  }

  #draw(force: boolean): void {
    const t = this.#now();
    if (!force && t - this.#drawn < 100) return;
    this.#drawn = t;
    this.#write(`\r\x1b[2K${this.line()}`);
  }
}

/** "42 s", "3 min 5 s". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "…";
  const r = Math.max(0, Math.round(s));
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${r % 60} s`;
}
