import { useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { navigate } from "../router";
import { Field } from "./Field";

export function SignIn() {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [mfa, setMfa] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mfa) {
        await api.completeSignIn(mfa, code.trim());
      } else {
        const result = await api.signIn(login.trim(), password);
        if (result.kind === "mfa") {
          setMfa(result.token);
        }
      }
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "The server could not be reached."));
    } finally {
      setBusy(false);
    }
  }

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
