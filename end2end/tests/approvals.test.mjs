// Requests in a real browser: a member asks for an override on the Budgets page; an approver
// approves part of it on the Requests page; the requester sees the outcome and the new allowance
// on the Budgets page and on the dashboard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, addPerson, hydrated, ADMIN } from "../support.mjs";

let server;
let browser;
const ASKER = { email: "asa@example.com", password: "asking politely again" };

before(async () => {
  server = await startDemo(7);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a member asks for more and an approver grants part of it", async () => {
  // The admin adds the asker (the admin is not an approver, but admins may decide).
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, server.baseUrl, ADMIN, "/admin/users");
  await admin.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await addPerson(admin, { name: "Asa Asker", ...ASKER });

  const askerContext = await browser.newContext();
  const asker = await askerContext.newPage();
  await signIn(asker, server.baseUrl, ASKER, "/budgets");
  await asker.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  const askForm = asker.locator("form", { has: asker.getByRole("button", { name: "Send request" }) });
  const budgetName = (await askForm.getByLabel("Budget").locator("option:checked").textContent()).trim();
  const allowanceOf = async () => {
    const text = await asker.locator("tr", { hasText: budgetName }).locator('[data-limit="cost"]').textContent();
    return Number(text.match(/of ([\d,]+\.\d\d)/)[1].replaceAll(",", ""));
  };
  const allowanceBefore = await allowanceOf();
  await askForm.getByLabel("Cost").fill("250");
  await askForm.getByLabel(/how many days/).fill("3");
  await askForm.getByLabel("Reason").fill("Quarter-end evaluation runs");
  await askForm.getByRole("button", { name: "Send request" }).click();
  await asker.getByRole("status").filter({ hasText: "Request sent" }).waitFor();

  await admin.goto(`${server.baseUrl}/requests`);
  await admin.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  const card = admin.locator("section[data-request]").first();
  assert.match(await card.textContent(), /Quarter-end evaluation runs/);
  assert.match(await card.textContent(), /Asa Asker/);
  const approve = card.locator("form", { has: admin.getByRole("button", { name: "Approve" }) });
  await approve.getByLabel(/Cost/).fill("100");
  await approve.getByLabel(/Days/).fill("1");
  await approve.getByLabel("Comment").fill("100 for a day");
  await admin.screenshot({ path: join(artifacts, "requests.png"), fullPage: true });
  await approve.getByRole("button", { name: "Approve" }).click();
  await admin.getByRole("status").filter({ hasText: "now approved" }).waitFor();

  // The budget list shows the new allowance at once: the hard level plus the approved 100.
  await asker.goto(`${server.baseUrl}/budgets`);
  assert.equal(await allowanceOf(), allowanceBefore + 100);

  // So does the dashboard: the budget's tile counts against the new allowance.
  await asker.goto(`${server.baseUrl}/`);
  const tile = asker.locator(`article.budget-tile[data-budget="${budgetName}"]`).locator('[data-limit="cost"]');
  const tileAllowance = Number((await tile.textContent()).match(/of ([\d,]+\.\d\d)/)[1].replaceAll(",", ""));
  assert.equal(tileAllowance, allowanceBefore + 100);

  await asker.goto(`${server.baseUrl}/requests`);
  const mine = asker.locator("section[data-request]").first();
  assert.match(await mine.locator(".badge").textContent(), /approved/);
  assert.match(await mine.textContent(), /100 for a day/);
  // The requester sees what was granted (100 for one day), not only what was asked (250 for three).
  const granted = await mine.getByTestId("granted").textContent();
  // Times read in the organization's time zone (the demo's is Europe/Berlin), labelled.
  assert.match(granted, /^100\.00 in cost until \d{4}-\d\d-\d\d \d\d:\d\d CES?T, by .+: “100 for a day”$/);
  const [, until, zone] = granted.match(/until (\S+ \S+) (CES?T)/);
  const untilGranted = Date.parse(`${until.replace(" ", "T")}:00${zone === "CET" ? "+01:00" : "+02:00"}`);
  assert.ok(untilGranted - Date.now() < 26 * 3600_000, "the one day granted, not the three asked");
  assert.ok(untilGranted - Date.now() > 22 * 3600_000, "read in the organization's zone, not as UTC");
  // The inbox says the same instant the same way.
  await asker.goto(`${server.baseUrl}/inbox`);
  await asker.locator("li", { hasText: `is approved: granted USD 100.00 until ${until} ${zone}` }).first().waitFor();
  await adminContext.close();
  await askerContext.close();
});

test("every budget's page has its own Ask for more, and the request names that budget", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.baseUrl, ADMIN, "/budgets");
  const link = page.locator('a[href^="/budgets/"]:not([href="/budgets/new"])').first();
  const name = (await link.textContent()).trim();
  await page.goto(await link.evaluate((a) => a.href));
  await hydrated(page);
  await page.getByRole("link", { name: "Ask for more" }).click();
  const ask = page.locator("section#ask");
  assert.equal(await ask.locator("h2").textContent(), "Ask for more on this budget");
  assert.equal(await ask.getByLabel("Budget").count(), 0, "no budget to choose: it is this one");
  await ask.getByLabel("Cost").fill("40");
  await ask.getByLabel("Reason").fill("Load test next week");
  await ask.getByRole("button", { name: "Send request" }).click();
  await page.getByRole("status").filter({ hasText: "Request sent" }).waitFor();
  await page.goto(`${server.baseUrl}/requests`);
  const card = page.locator("section[data-request]", { hasText: "Load test next week" });
  assert.match(await card.textContent(), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await context.close();
});
