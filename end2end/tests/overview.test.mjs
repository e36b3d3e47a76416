// The overview in a real browser: server-rendered first, then hydrated; a range change goes through
// a server function; the chart is drawn by ECharts served from Tollgate itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, openBrowser, tollgate, artifacts } from "../support.mjs";

let server;
let browser;

before(async () => {
  server = await startServer((dataDir) => tollgate(dataDir, ["seed-demo", "--days", "90"]));
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the demo overview renders, hydrates and switches range through a server function", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const foreignRequests = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(server.baseUrl)) foreignRequests.push(request.url());
  });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));

  await page.goto(`${server.baseUrl}/`);
  assert.equal(await page.locator("h1").textContent(), "Acme Robotics");
  assert.match(await page.locator("#daily-spend").textContent(), /last 30 days/);

  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await page.locator('.chart[data-rendered="true"] canvas').first().waitFor({ timeout: 20_000 });

  const serverCall = page.waitForResponse((r) => r.url().includes("/api/load_overview") && r.status() === 200);
  await page.getByRole("link", { name: "90 days" }).click();
  await serverCall;
  await page.locator("#daily-spend", { hasText: "last 90 days" }).waitFor();
  assert.equal(new URL(page.url()).search, "?days=90");
  assert.equal(await page.locator('a[aria-current="page"]').textContent(), "90 days");

  await page.screenshot({ path: join(artifacts, "overview.png"), fullPage: true });
  assert.deepEqual(foreignRequests, [], "nothing is loaded from outside Tollgate");
  assert.deepEqual(errors, []);
});

test("an empty installation explains how to start", async () => {
  const empty = await startServer();
  try {
    const page = await browser.newPage();
    const response = await page.goto(`${empty.baseUrl}/`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator("h1").textContent(), "Welcome to Tollgate");
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
    const health = await (await page.request.get(`${empty.baseUrl}/healthz`)).json();
    assert.equal(health.database, "ok");
  } finally {
    await empty.stop();
  }
});
