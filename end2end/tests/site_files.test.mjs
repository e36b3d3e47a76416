// What a browser downloads: the bundle under versioned addresses it may keep for a year, in a
// compressed form, from cache on the next visit; ECharts only on pages that draw a chart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signIn, hydrated, ADMIN, demoAndBrowser } from "../support.mjs";

const demo = demoAndBrowser(30);

/** Every response the page receives, over the network or from a cache, as Chromium reports it. */
async function recordResponses(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const seen = [];
  const byId = new Map();
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    const entry = {
      url: new URL(response.url).pathname,
      cached: response.fromDiskCache || byId.get(requestId)?.cached || false,
      headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v])),
    };
    byId.set(requestId, entry);
    seen.push(entry);
  });
  cdp.on("Network.requestServedFromCache", ({ requestId }) => {
    const entry = byId.get(requestId);
    if (entry) entry.cached = true;
    else byId.set(requestId, { cached: true });
  });
  return seen;
}

test("the bundle comes compressed from versioned addresses and from cache on the next visit", async () => {
  const page = await demo.browser.newPage();
  await signIn(page, demo.server.baseUrl, ADMIN, "/account");
  const seen = await recordResponses(page);
  await page.goto(`${demo.server.baseUrl}/account`);
  await hydrated(page);

  const assets = seen.filter((r) => r.url.startsWith("/pkg/"));
  const names = assets.map((r) => r.url.split("/").pop()).sort();
  assert.deepEqual(names, ["charts.js", "tollgate.css", "tollgate.js", "tollgate.wasm"]);
  for (const asset of assets) {
    assert.match(asset.url, /^\/pkg\/[0-9a-f]{12}\//, "addressed by the build's version");
    assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable", asset.url);
    assert.match(asset.headers["content-encoding"] ?? "", /^(br|gzip)$/, `${asset.url} is compressed`);
  }
  assert.ok(!seen.some((r) => r.url.includes("echarts")), "a page without charts never loads ECharts");

  seen.length = 0;
  await page.goto(`${demo.server.baseUrl}/account`);
  await hydrated(page);
  const again = seen.filter((r) => r.url.startsWith("/pkg/"));
  assert.ok(again.length >= 3, "the bundle is used again");
  for (const asset of again) assert.ok(asset.cached, `${asset.url} comes from the browser's cache`);
});

test("a page with a chart loads ECharts beside the bundle and draws", async () => {
  const page = await demo.browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await signIn(page, demo.server.baseUrl, ADMIN);
  const seen = await recordResponses(page);
  await page.reload();
  await page.locator('.chart[data-rendered="true"] canvas').first().waitFor({ timeout: 20_000 });
  const charts = seen.find((r) => r.url.endsWith("/charts.js"));
  const echarts = seen.find((r) => r.url.endsWith("/echarts.js"));
  assert.ok(echarts, "ECharts was loaded");
  assert.equal(echarts.url.replace(/[^/]*$/, ""), charts.url.replace(/[^/]*$/, ""), "from the same version");
  assert.deepEqual(errors, [], "every chart option uses only the parts of ECharts in the bundle");
});
