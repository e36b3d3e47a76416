// Starts a real Tollgate (the debug build of scripts/build-site.sh) on a free port with its own data directory,
// and opens Debian's Chromium through playwright-core (which never downloads a browser).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { before, after } from "node:test";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const artifacts = join(root, "end2end", "artifacts");
// TOLLGATE_BINARY: another build (scripts/page-weight.mjs measures the release build).
const binary = () => process.env.TOLLGATE_BINARY ?? join(root, "target", "debug", "tollgate");

export function tollgate(dataDir, args) {
  return execFileSync(binary(), args, {
    env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, DATABASE_URL: "", NO_COLOR: "1" },
    encoding: "utf8",
  });
}

/** Serves Tollgate on 127.0.0.1:0; `prepare(dataDir)` runs first (e.g. seeding). */
export async function startServer(prepare = () => {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-e2e-"));
  prepare(dataDir);
  const child = spawn(binary(), ["serve", "--addr", "127.0.0.1:0"], {
    env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, DATABASE_URL: "", NO_COLOR: "1", RUST_LOG: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const baseUrl = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${seen}`)), 60_000);
    const onData = (chunk) => {
      seen += chunk.toString();
      const match = seen.replace(/\x1b\[[0-9;]*m/g, "").match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${seen}`)));
  });
  return {
    baseUrl,
    dataDir,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openBrowser() {
  mkdirSync(artifacts, { recursive: true });
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export const ADMIN = { email: "admin@example.com", password: "correct horse battery" };

/** Adds the admin account from the shell, as an operator would. */
export function createAdmin(dataDir) {
  tollgate(dataDir, ["create-admin", "--email", ADMIN.email, "--password", ADMIN.password, "--name", "Avery Admin"]);
}

/** Signs in through the sign-in page (where any signed-out visit lands). */
export async function signIn(page, baseUrl, { email, password }, path = "/") {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/login/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** A Tollgate with the demo organization (`days` of usage) and the shell-created admin. */
export function startDemo(days) {
  return startServer((dataDir) => {
    tollgate(dataDir, ["seed-demo", "--days", String(days)]);
    createAdmin(dataDir);
  });
}

/** Waits until the page has hydrated (the app marks <main> once its effects run in the browser). */
export const hydrated = (page) => page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });

/** Adds a person on the People page (the admin's page must be open and hydrated). */
export async function addPerson(page, { name, email, password }) {
  const form = page.locator("form", { has: page.getByRole("button", { name: "Add person" }) });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Email").fill(email);
  await form.getByLabel(/Initial password/).fill(password);
  await form.getByRole("button", { name: "Add person" }).click();
  await page.getByRole("status").filter({ hasText: `Added ${email}` }).waitFor();
}

/**
 * For a test file: the demo organization (`days` of usage) served and Chromium opened before its
 * tests, both closed after them. Returns `{ server, browser }`, filled in before the first test.
 */
export function demoAndBrowser(days) {
  const demo = { server: null, browser: null };
  before(async () => {
    demo.server = await startDemo(days);
    demo.browser = await openBrowser();
  });
  after(async () => {
    await demo.browser?.close();
    await demo.server?.stop();
  });
  return demo;
}
