/** Debian's Chromium through playwright-core, headless with a fresh profile: the browser tests and `bench browser` drive it. */
import { type BrowserContext, chromium } from "playwright-core";

/**
 * Debian's chromium package's browser binary (playwright never downloads a browser here), the one
 * its launcher `/usr/bin/chromium` runs. It is started directly: the launcher adds flags of its
 * own (/etc/chromium.d: extensions, `--enable-gpu-rasterization`, `--disable-pings`, …), and the
 * command line must be exactly {@link chromiumArgs}.
 */
export const CHROMIUM_BINARY = "/usr/lib/chromium/chromium";

/** The flags reelrank asks for: headless, no sandbox, GPU, QUIC, first-run UI or background traffic. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/**
 * Chromium's whole command line for a profile in `profile`: {@link CHROMIUM_FLAGS}, the fresh
 * profile, and `--remote-debugging-pipe`, the one flag playwright needs to drive the browser (it
 * speaks the DevTools protocol over file descriptors 3 and 4). Playwright's own defaults (some
 * twenty `--disable-…` switches, `--enable-automation`, `about:blank`) are not added.
 */
export function chromiumArgs(profile: string): string[] {
  return [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-pipe"];
}

/** Why Chromium cannot be used, or null when it is installed. */
export function chromiumMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM_BINARY);
    return null;
  } catch {
    return `${CHROMIUM_BINARY} is missing: install the Debian package chromium (apt-get install chromium)`;
  }
}

/** Launches Chromium headless with a fresh profile in a temp dir (a cold cache); `close()` removes it. */
export async function launchChromium(): Promise<
  { context: BrowserContext; close(): Promise<void> }
> {
  const profile = await Deno.makeTempDir({ prefix: "reelrank-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_BINARY,
    headless: true,
    // Exactly chromiumArgs(): none of playwright's default arguments.
    ignoreDefaultArgs: true,
    args: chromiumArgs(profile),
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}
