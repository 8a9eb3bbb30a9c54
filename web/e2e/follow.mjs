// Two people in two browser contexts: one follows the other from their profile page, and the followed account's next
// post reaches the follower's open home timeline live (SignalR), behind a "new post" pill. Then the follower mutes the
// author (the posts leave their home) and blocks them (neither sees the other's profile).
// node e2e/follow.mjs <base-url> <screenshot-directory>
import { run } from "./browser.mjs";

await run(async ({ person, screen, expectRefusals }) => {
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

  // Muting hides the author's posts from the reader's home; blocking ends the follow and hides each from the other
  // (their profiles answer 404 across the block).
  for (const p of [author, reader]) expectRefusals(p.page, /\/api\/v1\/accounts\/\d+(\/|\?|$)/);
  const readerProfile = await reader.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile", exact: true }).getAttribute("href");
  await reader.page.goto(profile);
  await reader.page.getByRole("button", { name: "Mute", exact: true }).click();
  await reader.page.getByText("You muted this account").waitFor();
  await reader.page.getByRole("link", { name: "OrleansSocial" }).click();
  await reader.page.getByRole("form", { name: "New post" }).waitFor();
  await reader.page.getByText("Nothing here yet").waitFor();
  await reader.page.goto(profile);
  await reader.page.getByRole("button", { name: "Unmute", exact: true }).click();
  reader.page.once("dialog", (dialog) => void dialog.accept());
  await reader.page.getByRole("button", { name: "Block", exact: true }).click();
  await reader.page.getByRole("form", { name: "New post" }).waitFor();
  await reader.page.getByText("Nothing here yet").waitFor();
  await author.page.goto(new URL(readerProfile, profile).toString());
  await author.page.getByText("This account does not exist (or is not visible to you).").waitFor();
  await screen(author.page, "blocked");
  await reader.page.goto(profile);
  await reader.page.getByText("This account does not exist (or is not visible to you).").waitFor();

  // Settings list the blocked account; unblocking there shows the profile again.
  await reader.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
  const blocked = reader.page.getByRole("region", { name: "Blocked accounts" });
  await blocked.getByRole("link", { name: author.name }).waitFor();
  await screen(reader.page, "settings-blocked");
  await blocked.getByRole("button", { name: `Unblock ${author.name}` }).click();
  await blocked.getByText("You block no one.").waitFor();
  await reader.page.goto(profile);
  await reader.page.getByRole("button", { name: "Follow", exact: true }).waitFor();
});
