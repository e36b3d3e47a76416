// The overview in a real browser: server-rendered first, then hydrated under the page's
// Content-Security-Policy; a range change goes through a server function; the chart is drawn by
// ECharts served from Tollgate itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, startDemo, openBrowser, artifacts, signIn, ADMIN } from "../support.mjs";

let server;
let browser;

before(async () => {
  server = await startDemo(90);
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
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));

  await signIn(page, server.baseUrl, ADMIN);
  assert.equal(await page.locator("h1").textContent(), "Acme Robotics");
  // The page runs under a Content-Security-Policy: inline script only with its nonce, no framing.
  // A script it blocked would show as a console error below, and the page would not hydrate.
  const policy = (await page.request.get(`${server.baseUrl}/`)).headers()["content-security-policy"];
  assert.match(policy, /script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.match(await page.locator("#daily-spend").textContent(), /last 30 days/);

  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await page.locator('.chart[data-rendered="true"] canvas').first().waitFor({ timeout: 20_000 });
  // A page that failed to hydrate looks drawn, but its links would load whole pages from here on.
  assert.deepEqual(errors, [], "the page hydrated without errors");

  const serverCall = page.waitForResponse((r) => r.url().includes("/rpc/overview") && r.status() === 200);
  await page.getByRole("link", { name: "90 days" }).click();
  await serverCall;
  await page.locator("#daily-spend", { hasText: "last 90 days" }).waitFor();
  assert.equal(new URL(page.url()).search, "?days=90");
  assert.equal(await page.locator('a[aria-current="page"]').textContent(), "90 days");

  // One month-end forecast: the overview's figure is the organization budget's, whatever the range.
  const monthEnd = (await page.getByTestId("org-forecast").textContent()).match(/month end: ([\d,.]+)/)[1];
  const card = page.locator('.budget-tile[data-budget="Organization monthly"]').getByTestId("tile-forecast");
  assert.equal((await card.textContent()).match(/^Forecast ([\d,.]+)/)[1], monthEnd, "the overview and the card agree");
  // A budget forecast to run out early is at risk on its tile and on the budget list alike.
  const risky = await page.locator(".budget-tile:has(.badge.at_risk)").evaluateAll((tiles) => tiles.map((t) => t.dataset.budget));
  assert.ok(risky.length > 0, "the demo has budgets at risk");
  await page.goto(`${server.baseUrl}/budgets?status=at_risk`);
  const listed = await page.locator("tr[data-budget]").evaluateAll((rows) => rows.map((r) => r.dataset.budget));
  assert.deepEqual(listed.sort(), risky.sort(), "the list's at-risk budgets are the tiles' at-risk budgets");

  await page.screenshot({ path: join(artifacts, "overview.png"), fullPage: true });
  assert.deepEqual(foreignRequests, [], "nothing is loaded from outside Tollgate");
  assert.deepEqual(errors, []);
});

test("a fresh installation is set up in the browser, once", async () => {
  const empty = await startServer();
  try {
    const page = await browser.newPage();
    await page.goto(`${empty.baseUrl}/`);
    await page.waitForURL(/\/setup$/);
    assert.equal(await page.locator("h1").textContent(), "Set up Tollgate");
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
    await page.getByLabel("Name", { exact: true }).first().fill("Initech");
    await page.getByLabel(/Time zone/).fill("Europe/Berlin");
    await page.getByLabel(/Currency/).fill("EUR");
    await page.locator('input[name="admin_name"]').fill("Ada Admin");
    await page.getByLabel("Email").fill("ada@initech.example");
    await page.getByLabel(/Password/).fill("correct horse battery");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.locator("h1", { hasText: "Initech" }).waitFor({ timeout: 20_000 });
    const again = await page.goto(`${empty.baseUrl}/setup`);
    assert.equal(new URL(page.url()).pathname, "/", "setup is gone once an admin exists");
    assert.equal(again.status(), 200);
    const health = await (await page.request.get(`${empty.baseUrl}/healthz`)).json();
    assert.equal(health.database, "ok");

    // In EUR the shipped list prices stay in USD, as providers bill them; without a rate (setup's
    // was left empty) the page says what is missing. A price added in EUR is used as it is.
    await page.goto(`${empty.baseUrl}/prices`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId("prices-missing-rate").textContent(), /in USD, with no exchange rate to EUR/);
    assert.match(await page.locator('tr[data-model="gpt-4o"]').first().textContent(), /2\.5 USD.*10 USD/);
    await page.getByLabel("Provider", { exact: true }).fill("mistral");
    await page.getByLabel("Model", { exact: true }).fill("mistral-house");
    await page.getByLabel("Input per million tokens").fill("2.30");
    await page.getByLabel("Output per million tokens").fill("9.20");
    assert.equal(await page.getByLabel("Currency", { exact: true }).inputValue(), "EUR", "the ledger's currency by default");
    await page.getByRole("button", { name: "Add price" }).click();
    const row = page.locator('tr[data-model="mistral-house"]');
    await row.waitFor();
    assert.match(await row.textContent(), /2\.3 EUR.*9\.2 EUR/);

    // A provider's own price in USD, with a component billed apart.
    await page.getByLabel("Provider", { exact: true }).fill("anthropic");
    await page.getByLabel("Model", { exact: true }).fill("claude-sonnet-4");
    await page.getByLabel("Input per million tokens").fill("3");
    await page.getByLabel("Output per million tokens").fill("15");
    await page.getByLabel("Currency", { exact: true }).fill("USD");
    await page.getByText("Billed apart (optional)").click();
    await page.getByLabel("Cache reads per million tokens").fill("0.30");
    await page.getByRole("button", { name: "Add price" }).click();
    await page.locator('tr[data-model="claude-sonnet-4"]', { hasText: "cache reads 0.3 / M" }).waitFor();
    await page.getByLabel("From currency").fill("USD");
    await page.getByLabel("EUR per unit").fill("0.92");
    await page.getByRole("button", { name: "Add rate" }).click();
    await page.getByTestId("prices-converted").waitFor();
    assert.match(await page.locator('[data-testid="exchange-rates"] tr[data-currency="USD"]').textContent(), /1 USD.*0\.92 EUR/);
    assert.equal(await page.getByTestId("prices-missing-rate").count(), 0);

    // A name of the organization's own is priced as a catalog entry through an alias.
    await page.getByLabel("Name sent").fill("our-gpt");
    await page.getByLabel("Priced as (catalog model)").fill("gpt-4o");
    await page.getByRole("button", { name: "Add alias" }).click();
    const alias = page.locator('[data-testid="model-aliases"] tr[data-alias="our-gpt"]');
    await alias.waitFor();
    assert.match(await alias.textContent(), /our-gpt.*gpt-4o/);
    await page.getByRole("button", { name: "Remove alias our-gpt" }).click();
    await alias.waitFor({ state: "detached" });

    // A price list is previewed (nothing changes), then applied once.
    const list =
      "provider,model,currency,input_per_mtok,output_per_mtok,cached_input_per_mtok\nmistral,mistral-import,EUR,0.5,1.5,\nopenai,gpt-4o,USD,2.5,10,1.25\n";
    await page.getByTestId("price-list").fill(list);
    await page.getByRole("button", { name: "Preview changes" }).click();
    const report = page.getByTestId("import-report");
    await report.locator('tr[data-model="mistral-import"]').waitFor();
    assert.match(await report.textContent(), /Preview: 1 price\(s\) would be in force.*1 new, 0 changed, 1 unchanged/);
    assert.equal(await page.locator('[data-testid="prices"] tr[data-model="mistral-import"]').count(), 0, "a preview changes nothing");
    await page.getByRole("button", { name: "Apply these changes" }).click();
    await page.locator('[data-testid="prices"] tr[data-model="mistral-import"]').waitFor();
    assert.match(await report.textContent(), /Applied: 1 price\(s\) in force/);
    assert.equal(await page.getByRole("button", { name: "Apply these changes" }).count(), 0, "applied once");
  } finally {
    await empty.stop();
  }
});
