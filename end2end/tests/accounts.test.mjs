// Roles in a real browser: an admin adds a viewer on the People page; the viewer signs in, is
// refused the admin page (and does not see it in the menu), and signs out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, addPerson, ADMIN } from "../support.mjs";

let server;
let browser;
const VIEWER = { email: "vera@example.com", password: "another fine passphrase" };

before(async () => {
  server = await startDemo(7);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an admin adds a viewer, who is refused the admin pages and signs out", async () => {
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await signIn(page, server.baseUrl, ADMIN, "/admin/users");
  assert.equal(new URL(page.url()).pathname, "/admin/users", "sign-in returns to the page asked for");
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await page.getByRole("button", { name: "Admin" }).click();
  await page.getByRole("link", { name: "People" }).waitFor({ timeout: 10_000 });
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "People" }).waitFor({ state: "hidden" });
  await addPerson(page, { name: "Vera Viewer", ...VIEWER });
  await page.locator(`tr[data-person="${VIEWER.email}"]`).waitFor();
  await page.screenshot({ path: join(artifacts, "people.png"), fullPage: true });
  await admin.close();

  const viewer = await browser.newContext();
  const tab = await viewer.newPage();
  await signIn(tab, server.baseUrl, VIEWER);
  assert.equal(await tab.locator("h1").textContent(), "Acme Robotics");
  assert.equal(await tab.getByRole("link", { name: "People", includeHidden: true }).count(), 0, "the menu hides admin pages");
  assert.equal(await tab.getByRole("button", { name: "Admin" }).count(), 0);

  const refused = await tab.goto(`${server.baseUrl}/admin/users`);
  assert.equal(refused.status(), 403);
  assert.match(await tab.getByTestId("refused").textContent(), /needs the admin role/);
  assert.equal(await tab.getByRole("button", { name: "Add person" }).count(), 0, "no forms it cannot use");
  await tab.screenshot({ path: join(artifacts, "refused.png"), fullPage: true });
  await tab.goto(`${server.baseUrl}/reports/roi`);
  await tab.locator("h1", { hasText: "Return on investment" }).waitFor();
  assert.equal(await tab.getByText("Record a project's value").count(), 0, "no value form for a viewer");
  await tab.goto(`${server.baseUrl}/budgets`);
  await tab.locator("h1", { hasText: "Budgets" }).waitFor();
  assert.equal(await tab.getByRole("link", { name: "New budget" }).count(), 0, "a viewer is not offered New budget");

  await tab.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await tab.getByRole("button", { name: "Sign out" }).click();
  await tab.waitForURL(/\/login/);
  await tab.goto(`${server.baseUrl}/budgets`);
  assert.match(new URL(tab.url()).pathname, /^\/login/, "signed out for real");
  await viewer.close();
});
