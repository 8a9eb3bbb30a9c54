import { useCallback, useEffect, useState } from "react";
import { api } from "./api/client";
import type { Me } from "./api/types";
import { Link } from "./components/Link";
import { useUnreadNotifications } from "./lib/unread";
import { navigate, usePath } from "./router";
import { MeContext } from "./session";
import { Bookmarks, Explore, FollowRequests, Search, TagTimeline } from "./screens/Discover";
import { Home } from "./screens/Home";
import { Conversations, NewConversation, Thread, useUnreadMessages } from "./screens/Messages";
import { Notifications } from "./screens/Notifications";
import { PostDetail } from "./screens/PostDetail";
import { Profile } from "./screens/Profile";
import { Settings } from "./screens/Settings";
import { SignIn } from "./screens/SignIn";
import { SignUp } from "./screens/SignUp";
import { ForgotPassword, LinkSignIn, ResetPassword, VerifyEmail } from "./screens/Links";
import { StoryViewer } from "./screens/Stories";

/** Which screen a path shows (signed in). */
function screen(path: string, onMeChanged: (me: Me) => void) {
  const [pathname] = path.split("?");
  if (pathname === "/verify-email") return <VerifyEmail onMeChanged={onMeChanged} />;
  const part = pathname.split("/");
  if (/^\/accounts\/\d+$/.test(pathname)) return <Profile id={part[2]} onMeChanged={onMeChanged} />;
  if (/^\/posts\/[0-9a-f-]{36}$/i.test(pathname)) return <PostDetail id={part[2]} />;
  if (/^\/tags\/[^/]+$/.test(pathname)) return <TagTimeline tag={decodeURIComponent(part[2]).toLowerCase()} />;
  if (/^\/stories\/\d+$/.test(pathname)) return <StoryViewer accountId={part[2]} />;
  if (/^\/messages\/new\/\d+$/.test(pathname)) return <NewConversation accountId={part[3]} />;
  if (/^\/messages\/[0-9a-f-]{36}$/i.test(pathname)) return <Thread id={part[2]} />;
  switch (pathname) {
    case "/notifications": return <Notifications />;
    case "/search": return <Search />;
    case "/explore": return <Explore />;
    case "/bookmarks": return <Bookmarks />;
    case "/messages": return <Conversations />;
    case "/follow_requests": return <FollowRequests />;
    case "/settings": return <Settings onMeChanged={onMeChanged} />;
    case "/reset-password": return <ResetPassword />;
    default: return <Home />;
  }
}

// Pages for people not signed in: the links in our emails open some of them.
const SignedOutPages = new Set(["/signin", "/signup", "/forgot-password", "/reset-password", "/sign-in"]);

function signedOut(pathname: string) {
  switch (pathname) {
    case "/signup": return <SignUp />;
    case "/forgot-password": return <ForgotPassword />;
    case "/reset-password": return <ResetPassword />;
    case "/sign-in": return <LinkSignIn />;
    case "/verify-email": return <VerifyEmail />;
    default: return <SignIn />;
  }
}

function Badge({ count, label }: { count: number; label: string }) {
  return count > 0 ? <span className="badge" data-testid={label}>{count > 99 ? "99+" : count}<span className="visually-hidden"> {label}</span></span> : null;
}

export function App() {
  const path = usePath();
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [restoring, setRestoring] = useState(true);
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => api.onChange(setSignedIn), []);
  useEffect(() => {
    void api.restore().catch(() => false).finally(() => setRestoring(false));
  }, []);
  const unreadNotifications = useUnreadNotifications(signedIn);
  const unreadMessages = useUnreadMessages(signedIn, path.startsWith("/messages/") ? path : "");

  // The signed-in account, for every screen (and kept current when it changes on another device).
  const loadMe = useCallback(() => void api.get<Me>("/accounts/me").then(setMe, () => undefined), []);
  useEffect(() => {
    if (!signedIn) {
      setMe(null);
      return;
    }
    loadMe();
    return api.on({ account_updated: loadMe });
  }, [signedIn, loadMe]);

  const [pathname] = path.split("?");
  useEffect(() => {
    if (restoring) return;
    if (!signedIn && !SignedOutPages.has(pathname) && pathname !== "/verify-email") {
      navigate("/signin");
    } else if (signedIn && SignedOutPages.has(pathname) && pathname !== "/reset-password") {
      navigate("/");
    }
  }, [signedIn, pathname, restoring]);

  // Each screen starts at the top, and says which it is.
  useEffect(() => {
    window.scrollTo({ top: 0 });
  }, [pathname]);

  const storyOpen = path.startsWith("/stories/");
  return (
    <MeContext.Provider value={me}>
      <a className="skip" href="#main">Skip to content</a>
      <header className="bar">
        <Link className="brand" to="/">OrleansSocial</Link>
        {signedIn && (
          <nav aria-label="Main">
            <ul>
              <li><Link to="/" aria-current={path === "/" ? "page" : undefined}>Home</Link></li>
              <li><Link to="/explore" aria-current={path === "/explore" ? "page" : undefined}>Explore</Link></li>
              <li><Link to="/search" aria-current={path.startsWith("/search") ? "page" : undefined}>Search</Link></li>
              <li>
                <Link to="/notifications" aria-current={path === "/notifications" ? "page" : undefined}>Notifications</Link>
                <Badge count={unreadNotifications} label="unread notifications" />
              </li>
              <li>
                <Link to="/messages" aria-current={path.startsWith("/messages") ? "page" : undefined}>Messages</Link>
                <Badge count={unreadMessages} label="unread messages" />
              </li>
              <li><Link to="/bookmarks" aria-current={path === "/bookmarks" ? "page" : undefined}>Bookmarks</Link></li>
              {me && <li><Link to={`/accounts/${me.id}`} aria-current={path === `/accounts/${me.id}` ? "page" : undefined}>Profile</Link></li>}
              <li><Link to="/settings" aria-current={path === "/settings" ? "page" : undefined}>Settings</Link></li>
              <li>
                <button type="button" className="quiet" onClick={() => void api.signOut()}>Sign out</button>
              </li>
            </ul>
          </nav>
        )}
      </header>
      {me && !me.email_verified && !storyOpen && <VerifyBanner />}
      <main id="main" tabIndex={-1} className={storyOpen ? "full" : undefined}>
        {restoring ? <div className="skeleton" aria-busy="true" aria-label="Loading" />
          : !signedIn ? signedOut(pathname)
          : screen(path, setMe)}
      </main>
    </MeContext.Provider>
  );
}

function VerifyBanner() {
  const [sent, setSent] = useState<string | null>(null);
  return (
    <p className="banner" role="status">
      Confirm your email address with the link we sent you.{" "}
      <button type="button" className="quiet" onClick={() => void api.post("/accounts/me/verify_email").then(() => setSent("Sent again."), () => setSent("Could not send it now; try later."))}>
        Send it again
      </button>{" "}
      {sent}
    </p>
  );
}
