import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Me } from "../api/types";
import { Link } from "../components/Link";
import { problem } from "../lib/usePaged";
import { useQueryParam } from "../router";
import { Field, useSubmit } from "./Field";
import { SignIn } from "./SignIn";

// The pages the links in our emails open (/verify-email, /reset-password, /sign-in?token=…), and "forgot password".

/** Confirms the email address with the token from the verification email; signed in, the account is read again. */
export function VerifyEmail({ onMeChanged }: { onMeChanged?: (me: Me) => void }) {
  const token = useQueryParam("token");
  const [state, setState] = useState<"working" | "done" | string>("working");
  useEffect(() => {
    if (!token) {
      setState("This link has no token: open the link from the email as it is.");
      return;
    }
    api.send("POST", "/accounts/verify_email", { token }, false)
      .then(async () => {
        if (onMeChanged && api.signedIn) onMeChanged(await api.get<Me>("/accounts/me"));
        setState("done");
      })
      .catch((caught) => setState(problem(caught)));
  }, [token, onMeChanged]);
  return (
    <div className="card narrow" role="status">
      <h1>Email address</h1>
      {state === "working" ? <p>Confirming…</p> : state === "done" ? <p>Your email address is confirmed. <Link to="/">Continue</Link></p> : <p className="error">{state}</p>}
    </div>
  );
}

/** Chooses a new password with the token from the reset email. */
export function ResetPassword() {
  const token = useQueryParam("token");
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    await api.send("POST", "/passwords/reset", { token, new_password: password }, false);
    setDone(true);
  });
  if (done) {
    return (
      <div className="card narrow" role="status">
        <h1>Password changed</h1>
        <p>Every session was signed out. <Link to="/signin">Sign in</Link> with your new password.</p>
      </div>
    );
  }
  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      <Field label="New password" type="password" value={password} onChange={setPassword} autoComplete="new-password"
        error={error?.field("new_password")} />
      {error && !error.field("new_password") && <p className="error" role="alert">{error.field("token") ?? error.title}</p>}
      <button type="submit" disabled={busy}>Change password</button>
    </form>
  );
}

/** Asks for a reset link by email (the answer is the same whether or not the address has an account). */
export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    await api.send("POST", "/passwords/forgot", { email: email.trim() }, false);
    setSent(true);
  });
  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      {sent ? <p role="status">If an account has that address, a link to choose a new password is on its way.</p> : (
        <>
          <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" error={error?.field("email")} />
          {error && !error.field("email") && <p className="error" role="alert">{error.title}</p>}
          <button type="submit" disabled={busy}>Send me a link</button>
        </>
      )}
      <p><Link to="/signin">Back to sign in</Link></p>
    </form>
  );
}

/** Signs in with the one-time link sent after repeated wrong passwords (then asks for the second factor, if any). */
export function LinkSignIn() {
  const token = useQueryParam("token");
  const [error, setError] = useState<string | null>(null);
  const [mfa, setMfa] = useState<{ token: string; methods: string[] } | null>(null);
  useEffect(() => {
    if (token) {
      api.signInWithLink(token).then((result) => result.kind === "mfa" && setMfa({ token: result.token, methods: result.methods }),
        (caught) => setError(problem(caught)));
    }
  }, [token]);
  if (mfa) return <SignIn pending={mfa} />;
  return (
    <div className="card narrow" role="status">
      <h1>Signing in</h1>
      {error ? <p className="error">{error} <Link to="/signin">Sign in with your password</Link></p> : <p>One moment…</p>}
    </div>
  );
}
