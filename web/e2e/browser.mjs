// What every browser script shares: Debian's Chromium through playwright-core, pages that report their errors, and the
// outcome (exit 0 and "ok", or exit 1 with every problem).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export async function run(scenario) {
  const [base, shots] = process.argv.slice(2);
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const problems = [];
  const newPage = async (label) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
    page.on("console", (m) => {
      // A signed-out load asks to restore a session and is refused: expected, not a problem.
      if (m.type() === "error" && !/status of 40[01]/.test(m.text())) problems.push(`${label}: console: ${m.text()}`);
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
  try {
    await scenario({ base, newPage, shot, problems });
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
}
