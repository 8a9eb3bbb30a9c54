// The API's answers as the screens use them (snake_case, as the API writes them).
export interface Account {
  id: string;
  username: string;
  display_name: string;
  bio: string;
  is_private: boolean;
  followers_count: number;
  following_count: number;
  posts_count: number;
  avatar: string;
}

export interface Post {
  id: string;
  author: Account;
  text: string;
  visibility: string;
  created_at: string;
  likes_count: number;
  comments_count: number;
  reposts_count: number;
  liked: boolean;
}

export interface TimelineItem {
  id: string;
  post: Post;
  reposted_by: Account | null;
}
