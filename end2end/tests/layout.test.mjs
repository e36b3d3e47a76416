// Layout at a laptop's 1366 px and a phone's 390 px: the navigation is one row on the laptop and a
// menu on the phone (working before hydration too), wide tables show their deciding columns on the
// laptop and become cards on the phone, and no page scrolls sideways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { signIn, hydrated, ADMIN, artifacts, demoAndBrowser } from "../support.mjs";

const demo = demoAndBrowser(30);
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/** How far the page would scroll sideways (0 when it fits its viewport). */
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The right edge of each named column's header, by name. */
async function headerEdges(page) {
  return page.locator("table.report thead th").evaluateAll((ths) =>
    Object.fromEntries(ths.map((th) => [th.textContent.trim(), th.getBoundingClientRect().right])));
}

test("at 1366 px the navigation is one row and wide tables show their deciding columns", async () => {
  const page = await demo.browser.newPage({ viewport: LAPTOP });
  await signIn(page, demo.server.baseUrl, ADMIN, "/");
  await hydrated(page);
  assert.equal(await page.getByRole("button", { name: "Menu" }).isVisible(), false, "no menu button on a laptop");
  const tops = await page.locator(".site-menu > a, .site-menu > .admin-button, .account-menu > a").evaluateAll((items) =>
    items.map((item) => Math.round(item.getBoundingClientRect().top + item.getBoundingClientRect().height / 2)));
  assert.ok(tops.length >= 11, `the links are there: ${tops}`);
  assert.ok(Math.max(...tops) - Math.min(...tops) <= 4, `one row: the links' middles at ${tops}`);

  // The admin pages sit under their own button, which opens a menu and closes after a choice.
  await page.getByRole("button", { name: "Admin" }).click();
  await page.getByRole("link", { name: "Jobs" }).click();
  await page.waitForURL(/\/admin\/jobs$/);
  await page.locator("table.jobs").waitFor();
  await page.getByRole("link", { name: "Jobs" }).waitFor({ state: "hidden" });
  const jobs = await headerEdges(page);
  for (const column of ["Job", "Outcome", "Last run", "Next run"]) {
    assert.ok(jobs[column] <= LAPTOP.width, `the jobs table shows ${column} (right edge ${jobs[column]})`);
  }
  assert.ok((await sideways(page)) <= 0, "the jobs page does not scroll sideways");

  for (const [path, deciding] of [
    ["/reports/budget-vs-actual", ["Budget", "Window", "Limit", "Actual", "Variance", "Variance (%)"]],
    ["/reports/forecasts", ["Budget", "Outlook", "Expected to reach the hard level", "Projected", "Hard level"]],
  ]) {
    await page.goto(`${demo.server.baseUrl}${path}`);
    await hydrated(page);
    const edges = await headerEdges(page);
    assert.deepEqual(Object.keys(edges).slice(0, deciding.length), deciding, `${path}: deciding columns first`);
    for (const column of deciding) {
      assert.ok(edges[column] <= LAPTOP.width, `${path} shows ${column} without scrolling (right edge ${edges[column]})`);
    }
    assert.ok((await sideways(page)) <= 0, `${path} does not scroll sideways`);
  }
  await page.screenshot({ path: join(artifacts, "layout-laptop-forecasts.png"), fullPage: true });
  await page.close();
});

test("on a phone the navigation is a menu and table rows are cards", async () => {
  const page = await demo.browser.newPage({ viewport: PHONE });
  await signIn(page, demo.server.baseUrl, ADMIN, "/");
  await hydrated(page);
  const overview = page.getByRole("link", { name: "Overview" });
  assert.equal(await overview.isVisible(), false, "the links wait in the menu");
  const bar = await page.locator("header.topbar").boundingBox();
  assert.ok(bar.height < 80, `the top bar is one row: ${bar.height} px`);
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "People" }).waitFor();
  await page.screenshot({ path: join(artifacts, "layout-phone-menu.png") });
  await page.getByRole("link", { name: "Budgets" }).click();
  await page.waitForURL(/\/budgets$/);
  await overview.waitFor({ state: "hidden" });

  // The budget list's rows are cards: each figure under its column's name, nothing to scroll.
  const row = page.locator("tr[data-budget]").first();
  const box = await row.boundingBox();
  assert.ok(box.width <= PHONE.width, `a row fits the phone: ${box.width} px`);
  const period = row.locator('td[data-label="Period"]');
  assert.equal(await period.evaluate((td) => getComputedStyle(td, "::before").content), '"Period"');
  assert.ok((await sideways(page)) <= 0, "the budget list does not scroll sideways");

  for (const path of ["/reports/budget-vs-actual", "/reports/forecasts", "/admin/jobs"]) {
    await page.goto(`${demo.server.baseUrl}${path}`);
    await hydrated(page);
    const first = page.locator("table.cards tbody tr").first();
    assert.equal(await first.evaluate((tr) => getComputedStyle(tr).display), "block", `${path}: rows are cards`);
    assert.ok((await sideways(page)) <= 0, `${path} does not scroll sideways`);
  }
  await page.screenshot({ path: join(artifacts, "layout-phone-jobs.png"), fullPage: true });
  await page.close();
});

test("the phone menu opens before the page has hydrated", async () => {
  const context = await demo.browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, demo.server.baseUrl, ADMIN, "/budgets");
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "Reports" }).click();
  await page.waitForURL(/\/reports$/);
  await context.close();
});
