import type { ReactNode } from "react";
import type { Account } from "../api/types";
import { Link } from "./Link";

/** An account's round picture; decorative next to its name (the name says who it is). */
export function Avatar({ account, size = 40 }: { account: Pick<Account, "avatar">; size?: number }) {
  return <img className="avatar" src={account.avatar} alt="" width={size} height={size} loading="lazy" decoding="async" />;
}

export function displayName(account: Pick<Account, "display_name" | "username">): string {
  return account.display_name || account.username;
}

/** An account in a list: avatar, name linking to the profile, @username (and a note), then what can be done (children). */
export function AccountRow({ account, note, children }: { account: Account; note?: string; children?: ReactNode }) {
  return (
    <li>
      <Avatar account={account} size={40} />
      <div>
        <Link to={`/accounts/${account.id}`} className="author">{displayName(account)}</Link>
        <p className="meta">@{account.username}{note}</p>
      </div>
      {children}
    </li>
  );
}
