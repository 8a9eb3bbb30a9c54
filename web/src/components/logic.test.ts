import { describe as suite, expect, it } from "vitest";
import type { MediaAttachment, Post } from "../api/types";
import { nextCursor } from "../api/client";
import { describe } from "../screens/Notifications";
import { srcSet } from "./MediaGrid";
import { toggled } from "./PostCard";
import { pieces } from "./RichText";

const post: Post = {
  id: "p", author: { id: "1", username: "ann", display_name: "", bio: "", is_private: false, followers_count: 0, following_count: 0, posts_count: 0, avatar: "" },
  text: "", visibility: "public", created_at: "2026-01-01T00:00:00Z", likes_count: 2, comments_count: 0, reposts_count: 1, liked: false,
  reposted: true, bookmarked: false, bookmarks_count: 0,
};

suite("post text", () => {
  it("links hashtags and the mentions the post resolved, and leaves other @words and email addresses as text", () => {
    const found = pieces("Hi @bob and @nobody, see #Orleans at https://example.org/x. mail me: a@b.org", [{ id: "7", username: "Bob" }]);
    expect(found.filter((p) => p.kind !== "text")).toEqual([
      { kind: "mention", text: "@bob", id: "7" },
      { kind: "tag", text: "#Orleans", tag: "orleans" },
      { kind: "url", text: "https://example.org/x", href: "https://example.org/x" },
    ]);
    expect(found.map((p) => p.text).join("")).toBe("Hi @bob and @nobody, see #Orleans at https://example.org/x. mail me: a@b.org");
  });
});

suite("optimistic toggles", () => {
  it("flip the reader's flag and move its count by one each way", () => {
    expect(toggled(post, "like")).toMatchObject({ liked: true, likes_count: 3 });
    expect(toggled(toggled(post, "like"), "like")).toMatchObject({ liked: false, likes_count: 2 });
    expect(toggled(post, "repost")).toMatchObject({ reposted: false, reposts_count: 0 });
    expect(toggled(post, "bookmark")).toMatchObject({ bookmarked: true, bookmarks_count: 1 });
  });
});

suite("pagination", () => {
  it("reads the next page's cursor from the Link header, and none without a next link", () => {
    expect(nextCursor('<https://h/api/v1/timelines/home?limit=20&max_id=123>; rel="next", <https://h/api/v1/timelines/home?min_id=150>; rel="prev"')).toBe("123");
    expect(nextCursor('<https://h/x?min_id=1>; rel="prev"')).toBeNull();
    expect(nextCursor(null)).toBeNull();
  });
});

suite("notifications", () => {
  it("say what happened in words, security alerts by their detail", () => {
    expect(describe({ type: "like" })).toBe("liked your post");
    expect(describe({ type: "security", detail: "passkey_added" })).toBe("A passkey was added to your account");
    expect(describe({ type: "security", detail: "something_new" })).toBe("Security alert");
  });
});

suite("media", () => {
  it("offers the preview and the original picture by width, and no original for a video", () => {
    const picture: MediaAttachment = {
      id: "m", type: "image", url: "/o.jpg", preview_url: "/s.jpg", description: "", blurhash: null,
      meta: { original: { width: 2000, height: 1000 }, small: { width: 640, height: 320 } },
    };
    expect(srcSet(picture)).toBe("/s.jpg 640w, /o.jpg 2000w");
    expect(srcSet({ ...picture, type: "video" })).toBe("/s.jpg 640w");
    expect(srcSet({ ...picture, preview_url: null, url: null })).toBeUndefined();
  });
});
