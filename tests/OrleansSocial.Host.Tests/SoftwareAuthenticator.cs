using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSocial.Host.Tests;

/// <summary>
/// A platform authenticator and the browser around it, in software: an EC P-256 key per credential, discoverable (it keeps
/// the user handle), answering navigator.credentials.create with "none" attestation and navigator.credentials.get with a
/// signature over the authenticator data and the client data hash — the WebAuthn JSON a browser would send.
/// </summary>
internal sealed class SoftwareAuthenticator : IDisposable
{
    private sealed record Credential(byte[] Id, ECDsa Key, byte[] UserHandle, string RpId)
    {
        public uint Counter { get; set; }
    }

    private readonly List<Credential> _credentials = [];

    /// <summary>The origin of the page the browser puts in the client data.</summary>
    public string Origin { get; set; } = "http://localhost:5080";

    /// <summary>Flags a browser sets: user present, and user verified unless told otherwise.</summary>
    public bool VerifiesUser { get; set; } = true;

    /// <summary>The answer to navigator.credentials.create for these options (the <c>options</c> the API returned).</summary>
    public JsonObject Create(JsonElement options)
    {
        var rpId = options.GetProperty("rp").GetProperty("id").GetString()!;
        var credential = new Credential(RandomNumberGenerator.GetBytes(16), ECDsa.Create(ECCurve.NamedCurves.nistP256),
            FromBase64Url(options.GetProperty("user").GetProperty("id").GetString()!), rpId);
        _credentials.Add(credential);
        var clientData = ClientData("webauthn.create", options.GetProperty("challenge").GetString()!);

        var key = credential.Key.ExportParameters(false);
        var cose = new CborWriter();
        cose.WriteStartMap(5);
        cose.WriteInt32(1); cose.WriteInt32(2);   // kty: EC2
        cose.WriteInt32(3); cose.WriteInt32(-7);  // alg: ES256
        cose.WriteInt32(-1); cose.WriteInt32(1);  // crv: P-256
        cose.WriteInt32(-2); cose.WriteByteString(key.Q.X!);
        cose.WriteInt32(-3); cose.WriteByteString(key.Q.Y!);
        cose.WriteEndMap();

        var authData = new List<byte>(AuthenticatorData(rpId, attested: true, counter: 0));
        authData.AddRange(new byte[16]); // AAGUID: none
        authData.Add((byte)(credential.Id.Length >> 8));
        authData.Add((byte)credential.Id.Length);
        authData.AddRange(credential.Id);
        authData.AddRange(cose.Encode());

        var attestation = new CborWriter();
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt"); attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt"); attestation.WriteStartMap(0); attestation.WriteEndMap();
        attestation.WriteTextString("authData"); attestation.WriteByteString([.. authData]);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = Base64Url(credential.Id),
            ["rawId"] = Base64Url(credential.Id),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["attestationObject"] = Base64Url(attestation.Encode()),
                ["clientDataJSON"] = Base64Url(clientData),
                ["transports"] = new JsonArray("internal"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary>
    /// The answer to navigator.credentials.get: with the credential the options allow (or, for a discoverable sign-in, the
    /// newest one for the site), its counter advanced.
    /// </summary>
    public JsonObject Get(JsonElement options, int credentialIndex = -1)
    {
        var rpId = options.GetProperty("rpId").GetString()!;
        var allowed = options.TryGetProperty("allowCredentials", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        var candidates = _credentials.Where(c => c.RpId == rpId && (allowed.Count == 0 || allowed.Contains(Base64Url(c.Id)))).ToList();
        var credential = credentialIndex >= 0 ? _credentials[credentialIndex] : candidates[^1];
        credential.Counter++;
        var clientData = ClientData("webauthn.get", options.GetProperty("challenge").GetString()!);
        var authData = AuthenticatorData(rpId, attested: false, credential.Counter);
        var signature = credential.Key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = Base64Url(credential.Id),
            ["rawId"] = Base64Url(credential.Id),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["authenticatorData"] = Base64Url(authData),
                ["clientDataJSON"] = Base64Url(clientData),
                ["signature"] = Base64Url(signature),
                ["userHandle"] = Base64Url(credential.UserHandle),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary>Changes one byte of a base64url field of an answer's response, as an attacker would.</summary>
    public static JsonObject Tamper(JsonObject answer, string field)
    {
        var response = answer["response"]!.AsObject();
        var bytes = FromBase64Url(response[field]!.GetValue<string>());
        bytes[bytes.Length / 2] ^= 0x01;
        response[field] = Base64Url(bytes);
        return answer;
    }

    private byte[] ClientData(string type, string challenge) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type, challenge, origin = Origin, crossOrigin = false }));

    private byte[] AuthenticatorData(string rpId, bool attested, uint counter)
    {
        var flags = (byte)(0x01 | (VerifiesUser ? 0x04 : 0) | (attested ? 0x40 : 0));
        return [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter];
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - (s.Length % 4)) % 4));
    }

    public void Dispose()
    {
        foreach (var credential in _credentials)
        {
            credential.Key.Dispose();
        }
    }
}
