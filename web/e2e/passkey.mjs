// A passkey made in the browser: Chromium's virtual authenticator (the DevTools WebAuthn domain: a platform
// authenticator with resident keys and user verification) answers navigator.credentials. Add one in settings, sign out,
// sign in with it and no username.  node e2e/passkey.mjs <base-url> <screenshot-directory>
import { run } from "./browser.mjs";

await run(async ({ person, screen }) => {
  const me = await person("keyholder");
  const devtools = await me.page.context().newCDPSession(me.page);
  await devtools.send("WebAuthn.enable");
  await devtools.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  await me.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
  const passkeys = me.page.getByRole("region", { name: "Passkeys" });
  await passkeys.getByLabel("Name").fill("This Chromium");
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await passkeys.getByText("Passkey added.").waitFor();
  await passkeys.getByRole("list", { name: "Your passkeys" }).getByRole("button", { name: "Remove This Chromium" }).waitFor();
  await screen(me.page, "passkeys");

  await me.page.getByRole("button", { name: "Sign out" }).click();
  await me.page.getByRole("heading", { name: "Sign in" }).waitFor();
  await me.page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await me.page.getByRole("form", { name: "New post" }).waitFor();
  await me.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile", exact: true }).click();
  await me.page.getByRole("heading", { name: me.name }).waitFor();
  await screen(me.page, "signed-in-with-passkey");
});
