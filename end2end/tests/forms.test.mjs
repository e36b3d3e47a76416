// Forms start blank after a success: on People, the next person added never inherits the previous
// person's name, email, password or roles.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBrowser, artifacts, signIn, startDemo, ADMIN } from "../support.mjs";

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

/** The role boxes of a person's row on the People page, as { admin, lead, approver }. */
async function rolesOf(page, email) {
  const row = page.locator(`tr[data-person="${email}"]`);
  await row.waitFor();
  const checked = async (role) => row.locator(`input[name="${role}"]`).isChecked();
  return { admin: await checked("admin"), lead: await checked("lead"), approver: await checked("approver") };
}

test("after adding a person the form is empty, and the next person gets no roles of the last", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.baseUrl, ADMIN, "/admin/users");
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  const form = page.locator("form", { has: page.getByRole("button", { name: "Add person" }) });

  await form.getByLabel("Name").fill("Lena Lead");
  await form.getByLabel("Email").fill("lena@example.com");
  await form.getByLabel(/Initial password/).fill("a long enough passphrase");
  await form.getByLabel("lead").check();
  await form.getByLabel("approver").check();
  await form.getByRole("button", { name: "Add person" }).click();
  await page.getByRole("status").filter({ hasText: "Added lena@example.com" }).waitFor();
  assert.deepEqual(await rolesOf(page, "lena@example.com"), { admin: false, lead: true, approver: true });

  assert.equal(await form.getByLabel("Name").inputValue(), "", "the name is cleared");
  assert.equal(await form.getByLabel("Email").inputValue(), "", "the email is cleared");
  assert.equal(await form.getByLabel(/Initial password/).inputValue(), "", "the password is cleared");
  for (const role of ["admin", "lead", "approver"]) {
    assert.equal(await form.getByLabel(role).isChecked(), false, `${role} is unticked again`);
  }
  await page.screenshot({ path: join(artifacts, "people-after-add.png"), fullPage: true });

  // A refused password says why, and nobody is added.
  await form.getByLabel("Name").fill("Pat Plain");
  await form.getByLabel("Email").fill("pat@example.com");
  await form.getByLabel(/Initial password/).fill("Welcome to Acme 2026");
  await form.getByRole("button", { name: "Add person" }).click();
  await page.getByRole("alert").filter({ hasText: 'it contains "welcome", one of the first words tried' }).waitFor();
  assert.equal(await page.locator('tr[data-person="pat@example.com"]').count(), 0);

  await form.getByLabel("Name").fill("Nora New");
  await form.getByLabel("Email").fill("nora@example.com");
  await form.getByLabel(/Initial password/).fill("another long passphrase");
  await form.getByRole("button", { name: "Add person" }).click();
  await page.getByRole("status").filter({ hasText: "Added nora@example.com" }).waitFor();
  assert.deepEqual(await rolesOf(page, "nora@example.com"), { admin: false, lead: false, approver: false });
  await context.close();
});
