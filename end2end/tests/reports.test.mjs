// The reports in a real browser on the demo organization: each report page renders its figures,
// chart and table, filters through its form, and downloads its table as CSV.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, ADMIN, hydrated } from "../support.mjs";

let server;
let browser;

before(async () => {
  server = await startDemo(60);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});


async function downloadCsv(page) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV" }).click()]);
  const path = join(artifacts, download.suggestedFilename());
  await download.saveAs(path);
  return (await readFile(path, "utf8")).replace(/^\uFEFF/, "").trim().split("\n");
}

test("every report opens, filters and exports its table as CSV", async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, server.baseUrl, ADMIN, "/reports");
  await hydrated(page);
  const titles = ["Budget vs actual", "Allocation", "Trends", "Forecasts", "Cost-saving suggestions", "What-if replay", "Return on investment"];
  for (const title of titles) {
    await page.getByRole("link", { name: new RegExp(`^${title}`) }).first().waitFor();
  }
  // The demo runs without a mail server: the digest form says mail is off.
  await page.getByTestId("mail-off").waitFor();

  // Allocation by model: the table's rows are the CSV's rows.
  await page.getByRole("link", { name: /^Allocation/ }).click();
  await page.locator("h1", { hasText: "Allocation" }).waitFor();
  await hydrated(page);
  await page.getByLabel("Break down by").selectOption("model");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/by=model/);
  await page.locator("table.report th", { hasText: "Model" }).first().waitFor();
  await page.locator('.chart[data-rendered="true"] canvas').first().waitFor({ timeout: 20_000 });
  const shown = await page.locator("table.report tbody tr").count();
  const allocation = await downloadCsv(page);
  assert.match(allocation[0], /^Model,Cost \(/);
  assert.equal(allocation.length - 1, shown, "one CSV line per table row");
  // The CSV keeps amounts exact; the page shows the same amounts to the cent, thousands grouped.
  const pageCosts = await page.locator("table.report tbody tr td:nth-of-type(1)").allTextContents();
  const csvCosts = allocation.slice(1).map((line) => Number(line.split(",")[1]));
  assert.deepEqual(pageCosts.map((c) => Number(c.replaceAll(",", ""))), csvCosts.map((c) => Math.round(c * 100) / 100));
  assert.ok(pageCosts.every((c) => /^-?\d{1,3}(,\d{3})*\.\d{2}$/.test(c)), `cents on the page: ${pageCosts}`);

  await page.screenshot({ path: join(artifacts, "report-allocation.png"), fullPage: true });

  for (const [slug, header] of [
    ["budget-vs-actual", /^Budget,Window,Limit,Actual,Variance,Variance \(%\)/],
    ["trends", /^Day,Cost \(/],
    ["suggestions", /^Suggestion,Subject,Now,Suggested,Saving/],
    ["roi", /^Project,Month,Cost \(USD\),Value/],
    ["forecasts", /^Budget,Outlook,Expected to reach the hard level,Projected,Hard level/],
  ]) {
    await page.goto(`${server.baseUrl}/reports/${slug}`);
    await hydrated(page);
    assert.ok((await page.locator("table.report tbody tr").count()) > 0, `${slug} has rows`);
    const csv = await downloadCsv(page);
    assert.match(csv[0], header, slug);
    assert.ok(csv.length > 1, `${slug} exports rows`);
  }
  await page.locator("text=Method: a weekday-aware average").waitFor();
  await page.screenshot({ path: join(artifacts, "report-forecasts.png"), fullPage: true });

  // What-if: a tiny proposed hard level on the first budget would have denied early on.
  await page.goto(`${server.baseUrl}/reports/what-if`);
  await hydrated(page);
  await page.getByLabel("Cost soft level").fill("");
  await page.getByLabel("Cost hard level").fill("1");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/cost_hard=1/);
  await page.locator("table.report td", { hasText: "first denial" }).waitFor();
  const replay = await downloadCsv(page);
  assert.match(replay[0], /^When,What,Detail/);
  await page.screenshot({ path: join(artifacts, "report-what-if.png"), fullPage: true });

  // The audit log (admins) filters by event type and exports what it shows.
  await page.goto(`${server.baseUrl}/admin/audit`);
  await hydrated(page);
  await page.getByLabel("Event type").selectOption("login");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/type=login/);
  const audit = await downloadCsv(page);
  assert.match(audit[0], /^When,Event,Budget,Scope,Actor,Details/);
  assert.ok(audit.length > 1 && audit.slice(1).every((line) => line.split(",")[1] === "login"), audit.join("\n"));

  // Weekly trends through the form.
  await page.goto(`${server.baseUrl}/reports/trends`);
  await hydrated(page);
  await page.getByLabel("Step").selectOption("week");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.locator("table.report th", { hasText: "Week from" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
