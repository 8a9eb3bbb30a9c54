// The web client in a real Chromium (Debian's, driven by playwright-core): sign up, post, like, reload (the session
// survives through the refresh cookie; no token in web storage), sign out. Screenshots at desktop and phone width.
// node e2e/smoke.mjs <base-url> <screenshot-directory>
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox"] });
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A signed-out load asks to restore a session and is refused: expected, not a problem.
    if (m.type() === "error" && !/status of 40[01]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const shot = async (name) => {
    for (const [width, label] of [[1280, "desktop"], [360, "phone"]]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `${shots}/${name}-${label}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  };

  await page.goto(base);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await shot("sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  const name = "web_" + Date.now().toString(36);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Email").fill(`${name}@example.org`);
  await page.getByLabel("Password").fill("correct horse battery");
  await shot("sign-up");
  await page.getByRole("button", { name: "Sign up" }).click();

  await page.getByRole("form", { name: "New post" }).waitFor();
  await page.getByLabel("What is happening?").fill("hello from a real browser");
  await page.getByRole("button", { name: "Post", exact: true }).click();
  const post = page.getByRole("article").filter({ hasText: "hello from a real browser" });
  await post.waitFor();
  await post.getByRole("button", { name: /likes/ }).click();
  await post.locator('button[aria-pressed="true"]').waitFor();
  await shot("home");

  await page.reload();
  await page.getByRole("article").filter({ hasText: "hello from a real browser" }).waitFor();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  if (stored.includes("eyJ")) problems.push("a token was kept in web storage");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
} catch (e) {
  problems.push(String(e?.stack ?? e));
} finally {
  await browser.close();
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("ok");
