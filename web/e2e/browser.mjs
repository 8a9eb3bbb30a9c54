// What every browser script shares: Debian's Chromium through playwright-core, pages that report their errors, an
// accessibility scan (axe-core) and screenshots of each screen, and the outcome (exit 0 and "ok", or exit 1 with every
// problem). node e2e/<script>.mjs <base-url> <screenshot-directory> [<second-base-url>]
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function run(scenario) {
  const [base, shots, second] = process.argv.slice(2);
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const problems = [];
  const pages = [];
  const newPage = async (label) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    pages.push([label, page]);
    page.setDefaultTimeout(15000);
    page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
    page.refusalsExpected = [];
    page.on("console", (m) => {
      // A signed-out load asks to restore a session and is refused: expected, not a problem; so are the refusals a
      // script says it causes (expectRefusals).
      if (m.type() !== "error" || /status of 40[01]/.test(m.text())) return;
      if (/status of 4\d\d/.test(m.text()) && page.refusalsExpected.some((p) => p.test(m.location()?.url ?? ""))) return;
      problems.push(`${label}: console: ${m.text()} (${m.location()?.url ?? ""})`);
    });
    return page;
  };
  // Screenshots of the page as it is, at desktop and phone width.
  const shot = async (page, name) => {
    for (const [width, label] of [[1280, "desktop"], [360, "phone"]]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `${shots}/${name}-${label}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  // axe-core on the screen as it is: serious and critical violations are problems. (Evaluated through the DevTools
  // protocol, which the page's Content-Security-Policy does not govern.)
  const scanned = [];
  const scan = async (page, name) => {
    if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
      problems.push(`${name}: accessibility (${v.impact}) ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
    }
    scanned.push(name);
  };
  // Both: what a person sees of each screen, checked.
  const screen = async (page, name) => {
    await scan(page, name);
    await shot(page, name);
  };
  // A new person in a browser context of their own, signed up at `at` and on their home timeline with live events on.
  const person = async (label, at = base) => {
    const page = await newPage(label);
    const name = `${label}_${Date.now().toString(36)}`;
    await page.goto(at + "signup");
    await page.getByLabel("Username").fill(name);
    await page.getByLabel("Email").fill(`${name}@example.org`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("form", { name: "New post" }).waitFor();
    await page.locator('[data-live="true"]').waitFor();
    return { page, name, at };
  };
  // Asks the test for what only it can see (a line "ask <question>" out, the answer's line in).
  let input = null;
  const ask = async (question) => {
    input ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log(`ask ${question}`);
    return (await input.next()).value;
  };
  // Requests the scenario means to be refused (a 4xx the browser logs), by URL.
  const expectRefusals = (page, url) => page.refusalsExpected.push(url);
  try {
    await scenario({ base, second: second ?? base, newPage, person, shot, scan, screen, ask, expectRefusals, problems });
  } catch (e) {
    problems.push(String(e?.stack ?? e));
    // What each person saw when it failed.
    for (const [label, page] of pages) {
      await page.screenshot({ path: `${shots}/failed-${label}.png`, fullPage: true }).catch(() => undefined);
      problems.push(`${label} at ${page.url()}: ${(await page.locator("main").innerText().catch(() => "")).slice(0, 400)}`);
    }
  } finally {
    await browser.close();
    process.stdin.destroy();
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(scanned.length > 0 ? `ok ${scanned.join(",")}` : "ok");
}
