import { useState } from "react";
import { api } from "../api/client";
import { Link } from "../components/Link";
import { Field, useSubmit } from "./Field";

export function SignUp() {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    await api.signUp(username.trim(), email.trim(), password);
    await api.signIn(username.trim(), password);
  });

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <Field label="Username" value={username} onChange={setUsername} autoComplete="username" error={error?.field("username")} />
      <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" error={error?.field("email")} />
      <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="new-password" error={error?.field("password")} />
      {error && Object.keys(error.errors).length === 0 && <p className="error" role="alert">{error.title}</p>}
      <button type="submit" disabled={busy}>Sign up</button>
      <p>
        Have an account? <Link to="/signin">Sign in</Link>
      </p>
    </form>
  );
}
