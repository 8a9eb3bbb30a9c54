// The API's answers as the screens use them (snake_case, as the API writes them).
export interface Account {
  id: string;
  username: string;
  display_name: string;
  bio: string;
  website?: string;
  is_private: boolean;
  followers_count: number;
  following_count: number;
  posts_count: number;
  avatar: string;
  header?: string;
}

/** The signed-in account (GET /accounts/me): its own settings too. */
export interface Me extends Account {
  email: string;
  email_verified: boolean;
  role: string;
  dm_policy: string;
}

export interface MediaSize {
  width?: number;
  height?: number;
  duration?: number | null;
}

export interface MediaAttachment {
  id: string;
  type: string;
  url: string | null;
  preview_url: string | null;
  meta: { original?: MediaSize | null; small?: MediaSize | null };
  description: string;
  blurhash: string | null;
}

export interface Post {
  id: string;
  author: Account;
  text: string;
  visibility: string;
  created_at: string;
  edited_at?: string | null;
  tags?: string[];
  mentions?: { id: string; username: string }[];
  likes_count: number;
  comments_count: number;
  reposts_count: number;
  bookmarks_count?: number;
  liked: boolean;
  reposted?: boolean;
  bookmarked?: boolean;
  sensitive?: boolean;
  media_attachments?: MediaAttachment[];
}

export interface TimelineItem {
  id: string;
  post: Post;
  reposted_by: Account | null;
}

export interface Comment {
  id: string;
  post_id: string;
  author: Account;
  text: string;
  parent_comment_id: string | null;
  created_at: string;
  edited_at: string | null;
  replies_count: number;
  likes_count: number;
  liked: boolean;
}

export interface Notification {
  id: string;
  type: string;
  actor: Account | null;
  post_id: string | null;
  comment_id: string | null;
  created_at: string;
  read: boolean;
  post?: Post | null;
  detail?: string | null;
}

/** The live `notification` event: the notification and the inbox's unread count after it. */
export interface NotificationEvent extends Omit<Notification, "read" | "post"> {
  unread_count: number;
}

export interface Tag {
  name: string;
  posts_count: number;
}

export interface TrendingTag {
  name: string;
  accounts: number;
  baseline: number;
}

export interface SearchResult {
  accounts: Account[];
  posts: TimelineItem[];
  hashtags: Tag[];
}

export interface Relationship {
  id: string;
  following: boolean;
  requested: boolean;
  followed_by: boolean;
  requested_by: boolean;
  blocking: boolean;
  blocked_by: boolean;
  muting: boolean;
}
