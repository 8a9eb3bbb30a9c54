// Two people in two browsers, each on a different front end of a two-silo cluster, use the product against one another:
// a profile edited with an avatar, a private account's follow request, a post with a picture arriving live, a like and a comment notified live, a
// direct message with typing and read receipts both ways, a story viewed and its viewer list, search, hashtags,
// bookmarks, settings, sign-out — with an accessibility scan and screenshots of every screen.
// node e2e/social.mjs <base-url> <screenshot-directory> <second-base-url>   (E2E_IMAGE: a PNG to upload)
import { run } from "./browser.mjs";

const image = process.env.E2E_IMAGE;

await run(async ({ base, second, person, screen }) => {
  const nav = (p, name) => p.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  const badge = (p, label) => p.page.getByTestId(label);

  const ann = await person("ann", base);
  const ben = await person("ben", second);

  // Ann makes her account private.
  await nav(ann, "Settings");
  await ann.page.getByLabel(/^Private account/).check();
  await ann.page.getByRole("region", { name: "Privacy and messages" }).getByRole("button", { name: "Save" }).click();
  await ann.page.getByText("Saved.").waitFor();
  await screen(ann.page, "settings");

  // Ann's profile, as she would share it; Ben asks to follow.
  await nav(ann, "Profile");
  await ann.page.getByRole("heading", { name: ann.name }).waitFor();
  const annProfile = new URL(ann.page.url()).pathname;
  // She gives herself a bio and an avatar (cropped by the server); the page shows them.
  await ann.page.getByRole("button", { name: "Edit profile" }).click();
  const edit = ann.page.getByRole("dialog", { name: "Edit profile" });
  await edit.getByLabel("Bio").fill("Walks in the #hills");
  await edit.getByLabel("Avatar").setInputFiles(image);
  await screen(ann.page, "edit-profile");
  await edit.getByRole("button", { name: "Save" }).click();
  await edit.waitFor({ state: "detached" });
  await ann.page.getByText("Walks in the").waitFor();
  const avatar = await ann.page.getByRole("img", { name: `${ann.name}'s avatar` }).getAttribute("src");
  if (!avatar || avatar.includes("/media/default/")) throw new Error(`the avatar did not change: ${avatar}`);
  await screen(ann.page, "own-profile");
  await ben.page.goto(ben.at + annProfile.slice(1));
  await ben.page.getByText("This account is private").waitFor();
  await ben.page.getByRole("button", { name: "Follow" }).click();
  await ben.page.getByRole("button", { name: "Requested" }).waitFor();
  await screen(ben.page, "private-profile");

  // Ann is told live, and accepts.
  await badge(ann, "unread notifications").waitFor();
  await nav(ann, "Notifications");
  await ann.page.getByText("asked to follow you").waitFor();
  await ann.page.getByRole("button", { name: "Mark all read" }).click();
  await badge(ann, "unread notifications").waitFor({ state: "detached" });
  await ann.page.getByText("asked to follow you").click();
  await ann.page.getByRole("heading", { name: "Follow requests" }).waitFor();
  await screen(ann.page, "follow-requests");
  await ann.page.getByRole("button", { name: `Accept ${ben.name}` }).click();
  await ann.page.getByText("No one is waiting.").waitFor();

  // Ben now follows her and waits on his home timeline; Ann posts a picture with alt text; it reaches Ben live.
  await ben.page.reload();
  await ben.page.getByRole("button", { name: "Unfollow" }).waitFor();
  await nav(ben, "Home");
  await ben.page.locator('[data-live="true"]').waitFor();
  await nav(ann, "Home");
  await ann.page.getByLabel("What is happening?").fill("A picture from the hills #orleanssocial");
  await ann.page.locator('input[type="file"]').first().setInputFiles(image);
  await ann.page.getByLabel(/^Alt text for/).fill("A red square on white");
  await ann.page.getByRole("button", { name: "Post", exact: true }).click();
  await ann.page.getByRole("article").filter({ hasText: "A picture from the hills" }).getByRole("img", { name: "A red square on white" }).waitFor();
  await screen(ann.page, "home-with-picture");
  await ben.page.getByRole("button", { name: "1 new post" }).click();
  const seen = ben.page.getByRole("article").filter({ hasText: "A picture from the hills" });
  await seen.getByRole("img", { name: "A red square on white" }).waitFor();

  // Ben likes and comments; Ann's badge counts both live; she reads them and marks all read.
  await seen.getByRole("button", { name: /likes/ }).click();
  await seen.locator('button[aria-pressed="true"]').first().waitFor();
  await seen.getByRole("link", { name: /comments/ }).click();
  await ben.page.getByRole("form", { name: "Add a comment" }).getByRole("textbox").fill("Lovely light!");
  await ben.page.getByRole("button", { name: "Comment", exact: true }).click();
  await ben.page.getByRole("list", { name: "Comments" }).getByText("Lovely light!").waitFor();
  await screen(ben.page, "post-detail");
  await badge(ann, "unread notifications").filter({ hasText: "2" }).waitFor();
  await nav(ann, "Notifications");
  await ann.page.getByText("liked your post").waitFor();
  await ann.page.getByText("commented on your post").waitFor();
  await screen(ann.page, "notifications");
  await ann.page.getByRole("button", { name: "Mark all read" }).click();
  await badge(ann, "unread notifications").waitFor({ state: "detached" });
  await ann.page.getByRole("button", { name: "Mark all read" }).and(ann.page.locator(":disabled")).waitFor();

  // Ann replies to the comment: a nested thread.
  await ann.page.getByText("commented on your post").click();
  await ann.page.getByRole("list", { name: "Comments" }).getByRole("button", { name: "Reply", exact: true }).click();
  await ann.page.getByRole("form", { name: `Reply to ${ben.name}` }).getByRole("textbox").fill("Thank you!");
  await ann.page.getByRole("form", { name: `Reply to ${ben.name}` }).getByRole("button", { name: "Reply", exact: true }).click();
  await ann.page.getByRole("list", { name: `Replies to ${ben.name}` }).getByText("Thank you!").waitFor();

  // A direct message: Ben writes from Ann's profile; Ann is told, opens it; typing and "Seen" go both ways.
  await ben.page.goto(ben.at + annProfile.slice(1));
  await ben.page.getByRole("main").getByRole("link", { name: "Message", exact: true }).click();
  await ben.page.getByLabel("Message", { exact: true }).fill("Hello Ann");
  await ben.page.getByRole("button", { name: "Send", exact: true }).click();
  await ben.page.getByRole("list", { name: "Messages" }).getByText("Hello Ann").waitFor();
  await badge(ann, "unread messages").waitFor();
  await nav(ann, "Messages");
  await screen(ann.page, "conversations");
  await ann.page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: ben.name }).click();
  await ann.page.getByRole("list", { name: "Messages" }).getByText("Hello Ann").waitFor();
  await ben.page.locator(".seen").waitFor();
  // Typing signals are live only (at most once): both threads are connected before anyone types.
  for (const p of [ann, ben]) await p.page.locator('.thread[data-live="true"]').waitFor();
  await ann.page.getByLabel("Message", { exact: true }).pressSequentially("Hi Ben", { delay: 50 });
  await ben.page.getByText(`${ann.name} is typing…`).waitFor();
  await ben.page.getByLabel("Message", { exact: true }).pressSequentially("one moment", { delay: 50 });
  await ann.page.getByText(`${ben.name} is typing…`).waitFor();
  await ann.page.getByRole("button", { name: "Send", exact: true }).click();
  await ben.page.getByRole("list", { name: "Messages" }).getByText("Hi Ben").waitFor();
  await ann.page.locator(".seen").waitFor();
  await ann.page.locator('[data-online="true"]').waitFor();
  await screen(ben.page, "thread");

  // A story: Ann posts one; it shows in Ben's tray; Ben views it; Ann sees him in its viewer list.
  await nav(ann, "Home");
  await ann.page.getByRole("button", { name: "+ Add story" }).click();
  await ann.page.getByLabel("Picture or video").setInputFiles(image);
  await ann.page.getByLabel("Caption").fill("Morning");
  await ann.page.getByRole("button", { name: "Share" }).click();
  await ann.page.getByRole("link", { name: "Your story" }).waitFor();
  await nav(ben, "Home");
  await ben.page.getByRole("link", { name: new RegExp(`Stories of ${ann.name}`) }).click();
  await ben.page.getByText("Morning").waitFor();
  await ben.page.getByRole("button", { name: "Pause" }).click();
  await screen(ben.page, "story");
  await ben.page.getByLabel(`Reply to ${ann.name}`).fill("Nice one");
  await ben.page.getByRole("button", { name: "Send", exact: true }).click();
  await ben.page.getByText("Sent.").waitFor();
  await ben.page.getByRole("button", { name: "Close" }).click();
  await ann.page.getByRole("link", { name: "Your story" }).click();
  await ann.page.getByRole("button", { name: "Pause" }).click();
  await ann.page.getByRole("button", { name: /viewers?$/ }).click();
  await ann.page.getByRole("dialog", { name: "Viewers" }).getByRole("link", { name: ben.name }).waitFor();
  await screen(ann.page, "story-viewers");
  await ann.page.getByRole("dialog", { name: "Viewers" }).getByRole("button", { name: "Close" }).click();
  await ann.page.getByRole("button", { name: "Close" }).click();

  // Search, the hashtag, trending, bookmarks.
  await nav(ben, "Search");
  await ben.page.getByLabel("Search accounts, posts and hashtags").fill(ann.name);
  await ben.page.getByRole("button", { name: "Search", exact: true }).click();
  await ben.page.getByRole("list", { name: "Accounts found" }).getByRole("link", { name: ann.name }).waitFor();
  await screen(ben.page, "search");
  await nav(ben, "Home");
  await ben.page.getByRole("link", { name: "#orleanssocial" }).first().click();
  await ben.page.getByRole("heading", { name: "#orleanssocial" }).waitFor();
  await screen(ben.page, "hashtag");
  await nav(ben, "Explore");
  await ben.page.getByRole("heading", { name: "Trending" }).waitFor();
  await screen(ben.page, "explore");
  await nav(ben, "Home");
  await ben.page.getByRole("article").filter({ hasText: "A picture from the hills" }).getByRole("button", { name: "Bookmark" }).click();
  await nav(ben, "Bookmarks");
  await ben.page.getByRole("article").filter({ hasText: "A picture from the hills" }).waitFor();
  await screen(ben.page, "bookmarks");

  // Both sign out.
  for (const p of [ann, ben]) {
    await p.page.getByRole("button", { name: "Sign out" }).click();
    await p.page.getByRole("heading", { name: "Sign in" }).waitFor();
  }
  await screen(ben.page, "signed-out");
});
