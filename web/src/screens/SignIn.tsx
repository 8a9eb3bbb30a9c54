import { useState } from "react";
import { api } from "../api/client";
import { Link } from "../components/Link";
import { passkeysSupported, assertPasskey } from "../lib/passkeys";
import { Field, useSubmit } from "./Field";

/** Signs in with a password (or a passkey), then the second factor when the account has one; `pending`: a sign-in (by an email link) that already owes it. */
export function SignIn({ pending = null }: { pending?: { token: string; methods: string[] } | null }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [mfa, setMfa] = useState<{ token: string; methods: string[] } | null>(pending);
  const [code, setCode] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    if (mfa) {
      await api.completeSignIn(mfa.token, code.trim());
      return;
    }
    const result = await api.signIn(login.trim(), password);
    if (result.kind === "mfa") {
      setMfa({ token: result.token, methods: result.methods });
    }
  });
  const passkey = useSubmit(() => api.signInWithPasskey(assertPasskey, mfa?.token));
  const problem = error ?? passkey.error;

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {mfa ? (
        <Field label="Code from your authenticator app, or a backup code" value={code} onChange={setCode} autoComplete="one-time-code"
          error={error?.field("code")} />
      ) : (
        <>
          <Field label="Username or email" value={login} onChange={setLogin} autoComplete="username webauthn" error={error?.field("login")} />
          <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password"
            error={error?.field("password")} />
        </>
      )}
      {problem && Object.keys(problem.errors).length === 0 && <p className="error" role="alert">{problem.title}</p>}
      <div className="row">
        <button type="submit" disabled={busy}>{mfa ? "Verify" : "Sign in"}</button>
        {passkeysSupported() && (!mfa || mfa.methods.includes("passkey")) && (
          <button type="button" className="quiet" disabled={passkey.busy} onClick={(e) => void passkey.submit(e)}>
            {mfa ? "Use a passkey instead" : "Sign in with a passkey"}
          </button>
        )}
      </div>
      <p><Link to="/forgot-password">Forgot your password?</Link></p>
      <p>New here? <Link to="/signup">Create an account</Link></p>
    </form>
  );
}
