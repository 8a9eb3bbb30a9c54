import { useEffect, useState } from "react";
import { api } from "./api/client";
import { navigate, usePath } from "./router";
import { Home } from "./screens/Home";
import { Profile } from "./screens/Profile";
import { SignIn } from "./screens/SignIn";
import { SignUp } from "./screens/SignUp";

export function App() {
  const path = usePath();
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [restoring, setRestoring] = useState(true);
  useEffect(() => api.onChange(setSignedIn), []);
  useEffect(() => {
    void api.restore().catch(() => false).finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    if (restoring) {
      return;
    }
    if (!signedIn && path !== "/signin" && path !== "/signup") {
      navigate("/signin");
    } else if (signedIn && (path === "/signin" || path === "/signup")) {
      navigate("/");
    }
  }, [signedIn, path, restoring]);

  return (
    <>
      <header className="bar">
        <a className="brand" href="/" onClick={(e) => { e.preventDefault(); navigate("/"); }}>OrleansSocial</a>
        {signedIn && (
          <button type="button" className="quiet" onClick={() => void api.signOut()}>
            Sign out
          </button>
        )}
      </header>
      <main id="main">
        {restoring ? <div className="skeleton" aria-busy="true" aria-label="Loading" />
          : !signedIn && path === "/signup" ? <SignUp />
          : !signedIn ? <SignIn />
          : /^\/accounts\/\d+$/.test(path) ? <Profile id={path.split("/")[2]} />
          : <Home />}
      </main>
    </>
  );
}
