// Alerts in a real browser: an admin makes themself a recipient of a budget and lowers its threshold,
// a service's usage crosses it, and the alert waits in the admin's inbox until acknowledged; spend
// past the hard level alerts there too, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, ADMIN, hydrated } from "../support.mjs";

let server;
let browser;

before(async () => {
  server = await startDemo(7);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});


test("a threshold crossing lands in the inbox and is acknowledged there", async () => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, server.baseUrl, ADMIN, "/admin/api-keys");
  await hydrated(page);
  await page.getByLabel("Name").fill("e2e gateway");
  await page.getByRole("button", { name: "Create key" }).click();
  const created = await page.getByRole("status").filter({ hasText: "Copy the key now" }).textContent();
  const key = created.match(/: (\S+)$/)[1];

  await page.goto(`${server.baseUrl}/budgets`);
  await hydrated(page);
  await page.getByRole("link", { name: "Eval harness monthly" }).click();
  await page.getByRole("heading", { name: "Eval harness monthly" }).waitFor();
  await hydrated(page);
  const cost = await page.locator('[data-limit="cost"] .limit-head').textContent();
  const used = Number(cost.match(/(\d+(?:\.\d+)?)%/)[1]);
  const allowed = Number(cost.match(/([\d,]+\.\d\d) allowed/)[1].replaceAll(",", ""));
  const threshold = Math.floor(used) + 1;

  const add = page.locator("form", { has: page.getByRole("button", { name: "Add" }) });
  await add.getByLabel("Channel").selectOption("user");
  await add.getByLabel("Who or where").fill(ADMIN.email);
  await add.getByRole("button", { name: "Add" }).click();
  await page.getByRole("status").filter({ hasText: "Recipient added" }).waitFor();
  const rules = page.locator("form", { has: page.getByRole("button", { name: "Save", exact: true }) });
  await rules.getByLabel(/Thresholds/).fill(String(threshold));
  await rules.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Alert rules saved" }).waitFor();
  await page.locator("#alerts").filter({ hasText: `Thresholds: ${threshold} % of each hard level` }).waitFor();

  const unread = () => page.getByTestId("inbox-link").textContent().then((t) => Number(t.match(/(\d+)/)?.[1] ?? 0));
  const unreadBefore = await unread();

  // A service records a call large enough to cross the new threshold.
  const response = await fetch(`${server.baseUrl}/api/v1/usage`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ event_id: "e2e-crossing", occurred_at: new Date().toISOString(), user: "priya",
      project: "evals", category: "ml", model: "gpt-4o", cost: (allowed * 0.02 + 1).toFixed(2) }),
  });
  assert.equal(response.status, 200, await response.text());
  // The inbox count in the top bar moves by itself, as the budget's figures do.
  await page.waitForFunction(
    (before) => Number(document.querySelector('[data-testid="inbox-link"]')?.textContent.match(/(\d+)/)?.[1] ?? 0) > before,
    unreadBefore,
    { timeout: 20_000 },
  );
  assert.ok((await unread()) > unreadBefore);

  await page.goto(`${server.baseUrl}/inbox`);
  await hydrated(page);
  const title = `Eval harness monthly: ${threshold}% of the cost limit used`;
  const entry = page.locator("li.inbox-entry", { hasText: title });
  await entry.waitFor();
  assert.match(await entry.getAttribute("class"), /unread/);
  assert.match(await page.getByTestId("inbox-link").textContent(), /Inbox\s*\d+/);
  await page.screenshot({ path: join(artifacts, "inbox.png"), fullPage: true });
  await entry.getByRole("button", { name: "Acknowledge" }).click();
  await page.getByRole("status").filter({ hasText: "Acknowledged" }).waitFor();
  const handled = page.locator("li.inbox-entry", { hasText: title });
  await handled.locator(".badge", { hasText: "acknowledged" }).waitFor();
  assert.match(await handled.getAttribute("class"), /\bread\b/);

  // Spend pushed past the hard level alerts at the hard level too, whatever the thresholds say,
  // and once per window however much more arrives.
  for (const [id, amount] of [["e2e-past-hard", allowed], ["e2e-further", 1]]) {
    const past = await fetch(`${server.baseUrl}/api/v1/usage`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ event_id: id, occurred_at: new Date().toISOString(), user: "priya",
        project: "evals", category: "ml", model: "gpt-4o", cost: amount.toFixed(2) }),
    });
    assert.equal(past.status, 200, await past.text());
  }
  await page.goto(`${server.baseUrl}/inbox`);
  await hydrated(page);
  const hard = page.locator("li.inbox-entry", { hasText: "Eval harness monthly: cost limit reached (100%)" });
  await hard.first().waitFor();
  assert.equal(await hard.count(), 1, "one alert at the hard level per window");

  // The budget page lists the alert with its acknowledgement.
  await handled.getByRole("link", { name: "Open the budget" }).click();
  await page.getByRole("heading", { name: "Eval harness monthly" }).waitFor();
  await page.locator("#alerts tr", { hasText: `${threshold}% of the cost limit used · acknowledged` }).waitFor();
});
