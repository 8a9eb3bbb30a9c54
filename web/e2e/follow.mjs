// Two people in two browser contexts: one follows the other from their profile page, and the followed account's next
// post reaches the follower's open home timeline live (SignalR), behind a "new post" pill.
// node e2e/follow.mjs <base-url> <screenshot-directory>
import { run } from "./browser.mjs";

await run(async ({ person, screen }) => {
  async function post(page, text) {
    await page.getByLabel("What is happening?").fill(text);
    await page.getByRole("button", { name: "Post", exact: true }).click();
    await page.getByRole("article").filter({ hasText: text }).waitFor();
  }

  const author = await person("author");
  const reader = await person("reader");
  await post(author.page, "an earlier post");

  // The author's profile link, as they would share it.
  await author.page.getByRole("article").filter({ hasText: "an earlier post" }).getByRole("link", { name: author.name }).click();
  await author.page.getByRole("heading", { name: author.name }).waitFor();
  const profile = author.page.url();

  await reader.page.goto(profile);
  await reader.page.getByRole("heading", { name: author.name }).waitFor();
  await reader.page.getByRole("button", { name: "Follow" }).click();
  await reader.page.getByRole("button", { name: "Unfollow" }).waitFor();
  await reader.page.getByText("1 followers").waitFor();
  await reader.page.getByRole("article").filter({ hasText: "an earlier post" }).waitFor();
  await screen(reader.page, "profile");

  await reader.page.getByRole("link", { name: "OrleansSocial" }).click();
  await reader.page.locator('[data-live="true"]').waitFor();
  await author.page.getByRole("link", { name: "OrleansSocial" }).click();
  await post(author.page, "a live post for my followers");
  await reader.page.getByRole("button", { name: "1 new post" }).click();
  await reader.page.getByRole("article").filter({ hasText: "a live post for my followers" }).waitFor();
  await screen(reader.page, "home-live");
});
