// Accessibility of the main pages in Chromium: axe-core (npm) finds no serious or critical
// violation, each page has a title of its own, a skip link leads past the navigation, and the
// wizard moves focus to each new step's heading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, signIn, hydrated, ADMIN, demoAndBrowser } from "../support.mjs";

const AXE = readFileSync(join(root, "node_modules", "axe-core", "axe.min.js"), "utf8");

const demo = demoAndBrowser(30);

/** axe-core's serious and critical findings on the open page, one line each. */
async function violations(page) {
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy does not apply.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\s+/g, " ")),
    }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

async function budgetPath(page) {
  await page.goto(`${demo.server.baseUrl}/budgets`);
  return new URL(await page.locator('a[href^="/budgets/"]:not([href="/budgets/new"])').first().evaluate((a) => a.href))
    .pathname;
}

test("the main pages have no serious accessibility violations and a title each", async () => {
  const page = await demo.browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(`${demo.server.baseUrl}/login`);
  await hydrated(page);
  const report = { "/login": await violations(page) };
  const titles = { "/login": await page.title() };

  await signIn(page, demo.server.baseUrl, ADMIN);
  const paths = ["/", "/budgets", await budgetPath(page), "/budgets/new", "/templates", "/inbox", "/requests",
    "/reports", "/reports/forecasts", "/preferences", "/prices", "/teams", "/admin/users", "/admin/api-keys",
    "/admin/integrations", "/admin/audit", "/admin/jobs", "/account", "/no/such/page"];
  for (const path of paths) {
    await page.goto(`${demo.server.baseUrl}${path}`);
    await hydrated(page);
    report[path] = await violations(page);
    titles[path] = await page.title();
  }
  const failing = Object.entries(report).filter(([, found]) => found.length > 0);
  assert.deepEqual(failing, [], JSON.stringify(failing, null, 2));

  for (const [path, title] of Object.entries(titles)) {
    assert.match(title, /^.+ · Tollgate$/, `${path} has a title of its own: ${title}`);
  }
  const distinct = new Set(Object.entries(titles).filter(([p]) => !p.startsWith("/reports")).map(([, t]) => t));
  assert.equal(distinct.size, Object.keys(titles).filter((p) => !p.startsWith("/reports")).length, JSON.stringify(titles));
  assert.notEqual(titles["/reports"], titles["/reports/forecasts"], "each report is named in its title");
});

test("each preference row's field and button say which preference they set", async () => {
  const page = await demo.browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, demo.server.baseUrl, ADMIN, "/preferences");
  await hydrated(page);
  const names = await page.locator("tr[data-key]").evaluateAll((rows) =>
    rows.flatMap((row) => [...row.querySelectorAll("[name=value], button")].map((el) => el.getAttribute("aria-label"))),
  );
  assert.ok(names.length > 4, "the admin can set preferences here");
  assert.ok(names.every(Boolean), "every field and button is labelled");
  assert.equal(new Set(names).size, names.length, `no two alike: ${names.join(" | ")}`);
});

test("the skip link leads past the navigation to the page's content", async () => {
  const page = await demo.browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, demo.server.baseUrl, ADMIN, "/budgets");
  // A fresh load: after signing in, focus would start from where the sign-in button was.
  await page.goto(`${demo.server.baseUrl}/budgets`);
  await hydrated(page);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  assert.ok(await skip.evaluate((a) => a === document.activeElement), "the first Tab reaches the skip link");
  assert.ok(await skip.isVisible(), "it shows while focused");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "content");
  await page.keyboard.press("Tab");
  assert.ok(
    await page.evaluate(() => document.querySelector("main").contains(document.activeElement)),
    "the next Tab stays in the page's content",
  );
});

test("each wizard step takes the focus to its heading", async () => {
  const page = await demo.browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, demo.server.baseUrl, ADMIN, "/budgets/new");
  await hydrated(page);
  const focused = () => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`);
  await page.getByRole("combobox", { name: /^Scope/ }).selectOption({ label: "Project: LLM Gateway" });
  await page.getByRole("combobox", { name: /^Category/ }).selectOption("code_quality");
  await page.getByRole("button", { name: "Next" }).click();
  await page.locator("main h2", { hasText: "Template" }).waitFor();
  assert.match(await focused(), /^H2 .*Template/, "after Next, focus is on the new step's heading");
  await page.getByRole("link", { name: "Back" }).click();
  await page.locator("main h2", { hasText: "Scope" }).waitFor();
  assert.match(await focused(), /^H2 .*Scope/, "after Back too");
});
