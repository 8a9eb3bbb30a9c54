// The web client in a real Chromium: sign up, confirm the address with the emailed link, post, like, reload (the session survives through the refresh cookie; no
// token in web storage), sign out. node e2e/smoke.mjs <base-url> <screenshot-directory>
import { run } from "./browser.mjs";

await run(async ({ base, newPage, screen, ask, problems }) => {
  const page = await newPage("person");
  await page.goto(base);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await screen(page, "sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  const name = "web_" + Date.now().toString(36);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Email").fill(`${name}@example.org`);
  await page.getByLabel("Password").fill("correct horse battery");
  await screen(page, "sign-up");
  await page.getByRole("button", { name: "Sign up" }).click();

  await page.getByRole("form", { name: "New post" }).waitFor();

  // The verification link from the (development) outbox confirms the address; the reminder goes.
  await page.getByText("Confirm your email address").waitFor();
  const link = new URL(await ask(`verification-link ${name}@example.org`));
  await page.goto(base + link.pathname.slice(1) + link.search);
  await page.getByText("Your email address is confirmed.").waitFor();
  await page.getByRole("link", { name: "Continue" }).click();
  await page.getByRole("form", { name: "New post" }).waitFor();
  await page.getByText("Confirm your email address").waitFor({ state: "detached", timeout: 5000 });
  await page.getByLabel("What is happening?").fill("hello from a real browser");
  await page.getByRole("button", { name: "Post", exact: true }).click();
  const post = page.getByRole("article").filter({ hasText: "hello from a real browser" });
  await post.waitFor();
  await post.getByRole("button", { name: /likes/ }).click();
  await post.locator('button[aria-pressed="true"]').waitFor();
  await screen(page, "home");

  await page.reload();
  await page.getByRole("article").filter({ hasText: "hello from a real browser" }).waitFor();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  if (stored.includes("eyJ")) problems.push("a token was kept in web storage");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
});
