// WebAuthn in the browser: the API hands options in WebAuthn's JSON form (base64url binary fields) and takes the
// credential back in the same form — PublicKeyCredential's own JSON helpers convert both ways.
interface Ceremony {
  ceremony_id: string;
  options: unknown;
}

type JsonCredential = PublicKeyCredential & { toJSON(): unknown };
type CredentialStatics = typeof PublicKeyCredential & {
  parseCreationOptionsFromJSON(options: unknown): PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON(options: unknown): PublicKeyCredentialRequestOptions;
};

export function passkeysSupported(): boolean {
  const statics = (globalThis as { PublicKeyCredential?: Partial<CredentialStatics> }).PublicKeyCredential;
  return typeof statics?.parseCreationOptionsFromJSON === "function" && typeof statics.parseRequestOptionsFromJSON === "function";
}

/** Runs `navigator.credentials.create` for a registration ceremony; the body to send back. */
export async function createPasskey(ceremony: Ceremony): Promise<{ ceremony_id: string; credential: unknown }> {
  const publicKey = (PublicKeyCredential as CredentialStatics).parseCreationOptionsFromJSON(ceremony.options);
  const credential = (await navigator.credentials.create({ publicKey })) as JsonCredential | null;
  if (!credential) throw new Error("No passkey was made.");
  return { ceremony_id: ceremony.ceremony_id, credential: credential.toJSON() };
}

/** Runs `navigator.credentials.get` for a sign-in ceremony; the body to send back. */
export async function assertPasskey(ceremony: Ceremony): Promise<{ ceremony_id: string; credential: unknown }> {
  const publicKey = (PublicKeyCredential as CredentialStatics).parseRequestOptionsFromJSON(ceremony.options);
  const credential = (await navigator.credentials.get({ publicKey })) as JsonCredential | null;
  if (!credential) throw new Error("No passkey was used.");
  return { ceremony_id: ceremony.ceremony_id, credential: credential.toJSON() };
}
