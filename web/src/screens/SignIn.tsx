import { useState } from "react";
import { api } from "../api/client";
import { navigate } from "../router";
import { Field, useSubmit } from "./Field";

export function SignIn() {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [mfa, setMfa] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    if (mfa) {
      await api.completeSignIn(mfa, code.trim());
      return;
    }
    const result = await api.signIn(login.trim(), password);
    if (result.kind === "mfa") {
      setMfa(result.token);
    }
  });

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {mfa ? (
        <Field label="Code from your authenticator app, or a backup code" value={code} onChange={setCode} autoComplete="one-time-code"
          error={error?.field("code")} />
      ) : (
        <>
          <Field label="Username or email" value={login} onChange={setLogin} autoComplete="username" error={error?.field("login")} />
          <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password"
            error={error?.field("password")} />
        </>
      )}
      {error && Object.keys(error.errors).length === 0 && <p className="error" role="alert">{error.title}</p>}
      <button type="submit" disabled={busy}>{mfa ? "Verify" : "Sign in"}</button>
      <p>
        New here? <a href="/signup" onClick={(e) => { e.preventDefault(); navigate("/signup"); }}>Create an account</a>
      </p>
    </form>
  );
}
