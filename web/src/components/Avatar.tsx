import type { Account } from "../api/types";

/** An account's round picture; decorative next to its name (the name says who it is). */
export function Avatar({ account, size = 40 }: { account: Pick<Account, "avatar">; size?: number }) {
  return <img className="avatar" src={account.avatar} alt="" width={size} height={size} loading="lazy" decoding="async" />;
}

export function displayName(account: Pick<Account, "display_name" | "username">): string {
  return account.display_name || account.username;
}
