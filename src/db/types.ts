/** The database interface every store codes against; PostgreSQL and PGlite both implement it. */

/** A row as returned by `query`: int8/numeric columns come back as JS numbers, jsonb as objects,
 * timestamptz as `Date`, on both backends. */
export type Row = Record<string, unknown>;

/** Something that runs parameterised SQL (`$1, $2, …` placeholders): a connection or a transaction. */
export interface Sql {
  /** Runs one statement with parameters and returns its rows (empty for statements without rows). */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Nested
   * calls on a transaction run inside the same transaction. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

/** An open database. */
export interface Database extends Sql {
  readonly kind: "postgres" | "pglite";
  /**
   * Subscribes to `NOTIFY channel` (sent by any process on PostgreSQL, by this one on PGlite).
   * Resolves once the subscription is live, with the function that ends it. Notifications are
   * hints: a listener must re-read the state it cares about, as one can be lost on a reconnect.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Closes the connection (and releases the data-folder lock for PGlite). */
  close(): Promise<void>;
}
