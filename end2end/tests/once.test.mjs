// A create form creates once: pressing Create again on the wizard's review (back, reload, a second
// click) or on a template's preview (after a reload) opens what the first press created.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openBrowser, signIn, startDemo, ADMIN, hydrated } from "../support.mjs";

let server;
let browser;

before(async () => {
  server = await startDemo(3);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});


async function budgetRows(page, name) {
  await page.goto(`${server.baseUrl}/budgets`);
  await hydrated(page);
  return page.locator(`tr[data-budget="${name}"]`).count();
}

test("the wizard's review creates one budget however often Create is pressed", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.baseUrl, ADMIN, "/budgets/new?target=organization&name=Once%20only&period=monthly&cost_hard=100&step=5");
  await hydrated(page);
  await page.getByRole("button", { name: "Next" }).click();
  await page.locator('[data-review="Name"]', { hasText: "Once only" }).waitFor();
  const review = page.url();
  assert.match(new URL(review).searchParams.get("request") ?? "", /^[0-9a-f-]{36}$/, "the review URL carries its key");
  await hydrated(page);
  await page.getByRole("button", { name: "Create budget" }).click();
  await page.locator("h1", { hasText: "Once only" }).waitFor({ timeout: 20_000 });
  const created = page.url();

  await page.goto(review);
  await hydrated(page);
  await page.getByRole("button", { name: "Create budget" }).click();
  await page.waitForURL(created, { timeout: 20_000 });
  await page.locator("h1", { hasText: "Once only" }).waitFor();
  assert.equal(await budgetRows(page, "Once only"), 1);
  assert.equal(await page.getByRole("link", { name: "New budget" }).count(), 1, "an admin is offered New budget");

  // Deleting it goes back to the list, which says what happened: an organization budget counts
  // the usage already in its window, so this one has history and is archived.
  await page.goto(created);
  await hydrated(page);
  const remove = page.locator("#remove");
  await remove.getByLabel("I understand this cannot be undone").check();
  await remove.getByRole("button", { name: "Delete or archive" }).click();
  await page.waitForURL(/\/budgets\?removed=archived$/, { timeout: 20_000 });
  await page.getByRole("status").filter({ hasText: "The budget had history, so it is archived instead" }).waitFor();
  await context.close();
});

test("a template's preview creates its budgets once, even after a reload", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.baseUrl, ADMIN, "/templates");
  await hydrated(page);
  await page.locator('tr[data-template="Experimentation"]').getByRole("link", { name: "Apply…" }).click();
  await page.getByLabel("Project: LLM Gateway").check();
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByTestId("template-preview").waitFor();
  await hydrated(page);
  const create = page.getByRole("button", { name: "Create 1 budget" });
  await create.click();
  await page.getByRole("status").filter({ hasText: "Created 1 budget." }).waitFor();
  assert.equal(await create.isDisabled(), true, "the button is spent once it has created");

  await page.reload();
  await hydrated(page);
  await page.getByRole("button", { name: "Create 1 budget" }).click();
  await page.getByRole("status").filter({ hasText: "nothing new was created" }).waitFor();
  assert.equal(await budgetRows(page, "Experimentation · LLM Gateway"), 1);
  await context.close();
});
