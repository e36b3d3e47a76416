// A new team lead's first session in a real browser: the admin makes them lead of a team; they create
// a budget with the setup wizard, see it on the dashboard, watch its bars and charts move as usage
// arrives over the API, apply a template to two projects, and change a project preference.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, tollgate, ADMIN, hydrated } from "../support.mjs";

let server;
let browser;
const LEAD = { name: "Lena Lead", email: "lena.lead@example.com", password: "leading by example" };
const BUDGET = "LLM Gateway code_quality budget";

before(async () => {
  server = await startDemo(30);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});


async function recordUsage(key, id, cost) {
  const response = await fetch(`${server.baseUrl}/api/v1/usage`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ event_id: id, occurred_at: new Date().toISOString(), user: "lena", project: "gateway",
                           category: "code_quality", model: "gpt-4o", cost }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function makeLead() {
  const context = await browser.newContext();
  const admin = await context.newPage();
  await signIn(admin, server.baseUrl, ADMIN, "/admin/users");
  await hydrated(admin);
  const form = admin.locator("form", { has: admin.getByRole("button", { name: "Add person" }) });
  await form.getByLabel("Name").fill(LEAD.name);
  await form.getByLabel("Email").fill(LEAD.email);
  await form.getByLabel(/Initial password/).fill(LEAD.password);
  await form.getByLabel("lead", { exact: true }).check();
  await form.getByRole("button", { name: "Add person" }).click();
  await admin.getByRole("status").filter({ hasText: `Added ${LEAD.email}` }).waitFor();

  await admin.goto(`${server.baseUrl}/teams`);
  await hydrated(admin);
  const platform = admin.locator("section", { has: admin.locator("h2", { hasText: "Platform" }) }).first();
  const membership = platform.locator("form", { has: admin.getByLabel("Membership", { exact: true }) });
  await membership.getByLabel("Person", { exact: true }).selectOption({ label: LEAD.name });
  await membership.getByLabel("Membership", { exact: true }).selectOption("lead");
  await membership.getByRole("button", { name: "Set", exact: true }).click();
  await platform.locator("li", { hasText: LEAD.name }).locator(".badge", { hasText: "lead" }).waitFor();
  await context.close();
}

test("a new lead sets up a budget, watches it move, applies a template and changes a preference", async () => {
  await makeLead();
  const key = tollgate(server.dataDir, ["create-api-key", "--name", "e2e gateway"]).trim().split("\n").pop();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, server.baseUrl, LEAD, "/budgets");
  await hydrated(page);

  // The wizard: scope and category, a template, limits (a mistake first), alerts, enforcement, review.
  await page.getByRole("link", { name: "New budget" }).click();
  await page.getByRole("combobox", { name: /^Scope/ }).selectOption({ label: "Project: LLM Gateway" });
  await page.getByRole("combobox", { name: /^Category/ }).selectOption("code_quality");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Starter team/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel(/Cost: soft/).fill("600");
  assert.equal(await page.getByLabel(/Cost: hard/).inputValue(), "500", "the template filled the hard level");
  await page.getByRole("button", { name: "Next" }).click();
  await page.locator(".field-error", { hasText: "at most the hard level" }).waitFor();
  await page.getByLabel(/Cost: soft/).fill("400");
  await page.getByRole("button", { name: "Next" }).click();
  assert.equal(await page.getByLabel(/Alert at/).inputValue(), "50, 75, 90", "thresholds from the preferences");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.locator('[data-review="Name"]', { hasText: BUDGET }).waitFor();
  assert.match(await page.locator('[data-review="Cost"]').textContent(), /400 soft \/ 500 USD hard/);
  await page.getByRole("button", { name: "Create budget" }).click();
  await page.locator("h1", { hasText: BUDGET }).waitFor({ timeout: 20_000 });
  const budgetUrl = page.url();
  assert.match(new URL(budgetUrl).pathname, /^\/budgets\/[0-9a-f-]{36}$/);

  // The dashboard shows it, and its bar moves as usage arrives, without a reload.
  await page.getByRole("link", { name: "Overview" }).click();
  const tile = page.locator(`article.budget-tile[data-budget="${BUDGET}"]`);
  await tile.waitFor();
  await hydrated(page);
  await recordUsage(key, "e2e-1", "125");
  await tile.locator('[role="progressbar"][aria-valuenow="25"]').waitFor({ timeout: 20_000 });
  assert.match(await tile.textContent(), /125\.00 of 500\.00/);
  await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });

  // The budget page: bars, budget-vs-actual and the daily trend follow the next usage by themselves.
  await page.goto(budgetUrl);
  await hydrated(page);
  const bar = page.locator('#this-window [data-limit="cost"] [role="progressbar"]');
  assert.equal(await bar.getAttribute("aria-valuenow"), "25");
  await page.locator('.chart[data-rendered="true"] canvas').first().waitFor({ timeout: 20_000 });
  await recordUsage(key, "e2e-2", "100");
  await page.locator('#this-window [data-limit="cost"] [role="progressbar"][aria-valuenow="45"]').waitFor({ timeout: 20_000 });
  const actual = page.getByTestId("budget-vs-actual").locator("tbody tr").last();
  assert.match(await actual.textContent(), /225\.00/, "the current window's actual moved too");
  assert.match(await page.locator("#inherited").textContent(), /Tollgate default/);
  await page.screenshot({ path: join(artifacts, "budget-detail.png"), fullPage: true });

  // A template applied to two projects at once, after a preview.
  await page.goto(`${server.baseUrl}/templates`);
  await hydrated(page);
  await page.locator('tr[data-template="Experimentation"]').getByRole("link", { name: "Apply…" }).click();
  await page.getByLabel("Project: LLM Gateway").check();
  await page.getByLabel("Project: CI code review").check();
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("template-preview");
  await preview.waitFor();
  assert.equal(await preview.locator("tbody tr").count(), 2);
  await page.getByRole("button", { name: "Create 2 budgets" }).click();
  await page.getByRole("status").filter({ hasText: "Created 2 budgets" }).waitFor();
  await page.goto(`${server.baseUrl}/budgets`);
  await page.locator('tr[data-budget="Experimentation · LLM Gateway"]').waitFor();
  await page.locator('tr[data-budget="Experimentation · CI code review"]').waitFor();

  // A project preference changes the resolved value, and says where it comes from.
  await page.goto(`${server.baseUrl}/preferences`);
  await hydrated(page);
  const project = page.locator('section[data-level="project"]');
  const thresholds = project.locator('tr[data-key="thresholds"]');
  assert.equal(await thresholds.getByTestId("resolved").textContent(), "50, 75, 90");
  await thresholds.getByRole("textbox").fill("65, 95");
  await thresholds.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "is now 65, 95" }).waitFor();
  await project.locator('tr[data-key="thresholds"] [data-testid="resolved"]', { hasText: "65, 95" }).waitFor();
  assert.equal(await project.locator('tr[data-key="thresholds"] .badge').textContent(), "project");
  await page.screenshot({ path: join(artifacts, "preferences.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
