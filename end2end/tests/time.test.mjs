// One time policy: every date and time in the organization's time zone (the demo's is
// Europe/Berlin), budget windows as the local days they cover, the same on the server-rendered
// page and after hydration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signIn, hydrated, ADMIN, demoAndBrowser } from "../support.mjs";

const demo = demoAndBrowser(30);

/** This month in Berlin as its first and last day, e.g. ["2026-12-01", "2026-12-31"]. */
function berlinMonth(now = new Date()) {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit" })
    .format(now).split("-").map(Number);
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const pad = (n) => String(n).padStart(2, "0");
  return [`${year}-${pad(month)}-01`, `${year}-${pad(month)}-${pad(last)}`];
}

test("a monthly window reads as the organization's month, before and after hydration", async () => {
  const page = await demo.browser.newPage();
  await signIn(page, demo.server.baseUrl, ADMIN, "/budgets");
  const links = await page.locator('a[href^="/budgets/"]:not([href="/budgets/new"])').evaluateAll((as) => as.map((a) => a.href));
  let monthly;
  for (const link of links) {
    const html = await (await page.request.get(link)).text();
    if (/· monthly ·/.test(html)) {
      monthly = { link, html };
      break;
    }
  }
  assert.ok(monthly, `the demo has a monthly budget among ${links.length}: ${links.slice(0, 2)}`);
  const [first, last] = berlinMonth();
  const label = `window ${first} – ${last}`;
  assert.ok(monthly.html.includes(label), `the server renders ${label}`);
  assert.match(monthly.html, /<meta name="time-face" content="[^"]*Europe\/Berlin/);

  await page.goto(monthly.link);
  await hydrated(page);
  assert.match(await page.locator("#this-window").textContent(), new RegExp(label));
  const times = await page.locator("#history td:first-child").allTextContents();
  assert.ok(times.length > 0, "the budget has history");
  for (const time of times) assert.match(time, /^\d{4}-\d\d-\d\d \d\d:\d\d CES?T$/, "history in Berlin time, labelled");
});

test("signed out, times are UTC; the inbox speaks the organization's zone", async () => {
  const page = await demo.browser.newPage();
  const login = await (await page.request.get(`${demo.server.baseUrl}/login`)).text();
  assert.match(login, /<meta name="time-face" content="[^"]*UTC/);
  await signIn(page, demo.server.baseUrl, ADMIN, "/inbox");
  await hydrated(page);
  const stamps = await page.locator("main li time").allTextContents();
  assert.ok(stamps.length > 0, "the demo admin has alerts");
  for (const stamp of stamps) assert.match(stamp, /^\d{4}-\d\d-\d\d \d\d:\d\d CES?T$/);
});
