// Measures what a first visit costs on a slow link: bytes transferred and time until the page is
// hydrated (and its chart drawn), in Chromium throttled to 5 Mbit/s with 70 ms round trips, on the
// release build with the demo organization. Then the same page again with a warm cache.
//   node scripts/page-weight.mjs [path ...]      (default: / and /budgets; build: make build)
import { join } from "node:path";
import { root, startDemo, openBrowser, signIn, ADMIN } from "../end2end/support.mjs";

process.env.TOLLGATE_BINARY ??= join(root, "target", "release", "tollgate");
const paths = process.argv.slice(2).length ? process.argv.slice(2) : ["/", "/budgets"];
const LINK = { offline: false, latency: 70, downloadThroughput: (5e6 / 8), uploadThroughput: (5e6 / 8) };

async function visit(page, cdp, url, hasChart) {
  const bytes = new Map();
  const onFinished = ({ requestId, encodedDataLength }) => bytes.set(requestId, encodedDataLength);
  cdp.on("Network.loadingFinished", onFinished);
  const start = Date.now();
  await page.goto(url, { waitUntil: "commit" });
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 60_000 });
  const hydratedAfter = Date.now() - start;
  if (hasChart) await page.locator('.chart[data-rendered="true"]').first().waitFor({ timeout: 60_000 });
  const drawnAfter = Date.now() - start;
  await page.waitForLoadState("networkidle");
  cdp.off("Network.loadingFinished", onFinished);
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  return { kb: Math.round(total / 1000), kib: Math.round(total / 1024), hydrated_ms: hydratedAfter, drawn_ms: drawnAfter };
}

const server = await startDemo(90);
const browser = await openBrowser();
try {
  for (const path of paths) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await signIn(page, server.baseUrl, ADMIN, "/account");
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.clearBrowserCache");
    await cdp.send("Network.emulateNetworkConditions", LINK);
    const url = `${server.baseUrl}${path}`;
    const hasChart = await page.goto(url).then(() => page.locator(".chart").count()).then((n) => n > 0);
    await cdp.send("Network.clearBrowserCache");
    const first = await visit(page, cdp, url, hasChart);
    const again = await visit(page, cdp, url, hasChart);
    console.log(JSON.stringify({ path, link: "5 Mbit/s, 70 ms", first, again }));
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
