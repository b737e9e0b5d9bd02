/** A TCP proxy in front of a server (s3rver) that goes down on cue: when a request line matches, or when told. */

/** A running proxy. */
export interface FaultProxy {
  /** e.g. `http://127.0.0.1:41234`: give this to the client instead of the server's address. */
  url: string;
  /** Goes down the first time a client sends bytes matching `re` (e.g. `/^PUT \/bucket\/runs\//m`). */
  downOn(re: RegExp): void;
  /** Goes down now: open connections are cut, new ones are accepted and closed at once. */
  down(): void;
  /** Forwards again. */
  up(): void;
  /** Resolves when the proxy has gone down. */
  wentDown: Promise<void>;
  /** Connections refused since going down (a client's retries). */
  refused(): number;
  close(): void;
}

/** Starts a proxy on a free loopback port forwarding to `target` (`host:port`). */
export function startFaultProxy(target: { hostname: string; port: number }): FaultProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let isDown = false;
  let trigger: RegExp | null = null;
  let refused = 0;
  let markDown!: () => void;
  const wentDown = new Promise<void>((resolve) => markDown = resolve);
  const goDown = () => {
    if (isDown) return;
    isDown = true;
    for (const c of open) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    open.clear();
    markDown();
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn, watch: boolean) => {
    const buf = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (watch && trigger && trigger.test(decoder.decode(buf.subarray(0, n)))) {
          // Cut before the request reaches the server: it never sees it.
          trigger = null;
          goDown();
          return;
        }
        let written = 0;
        while (written < n) written += await to.write(buf.subarray(written, n));
      }
    } catch { /* a side closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* already closed */ }
      open.delete(c);
    }
  };
  (async () => {
    for await (const client of listener) {
      if (isDown) {
        refused++;
        client.close();
        continue;
      }
      Deno.connect({ hostname: target.hostname, port: target.port }).then((server) => {
        open.add(client);
        open.add(server);
        pipe(client, server, true);
        pipe(server, client, false);
      }).catch(() => client.close());
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    downOn(re) {
      trigger = re;
    },
    down: goDown,
    up() {
      isDown = false;
    },
    wentDown,
    refused: () => refused,
    close() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}
