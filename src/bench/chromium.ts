/** Debian's Chromium through playwright-core, headless with a fresh profile: the browser tests and `bench browser` drive it. */
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium package; playwright never downloads a browser here. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium cannot be used, or null when it is installed. */
export function chromiumMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} is missing: install the Debian package chromium (apt-get install chromium)`;
  }
}

/** Launches Chromium headless with a fresh profile in a temp dir (a cold cache); `close()` removes it. */
export async function launchChromium(): Promise<
  { context: BrowserContext; close(): Promise<void> }
> {
  const profile = await Deno.makeTempDir({ prefix: "reelrank-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
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
