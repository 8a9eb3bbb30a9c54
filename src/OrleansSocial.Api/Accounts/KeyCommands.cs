using Microsoft.Extensions.Configuration;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// <c>OrleansSocial.Host keys list | rotate | retire &lt;kid&gt;</c>: manages the signing key ring in
/// <see cref="AuthOptions.KeyDirectory"/> (run as the service's user, on the machine or volume holding the ring).
/// </summary>
public static class KeyCommands
{
    public static int Run(IConfiguration configuration, IReadOnlyList<string> args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var options = configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            output.WriteLine("Auth:SigningKey is configured: keys come from configuration (rotate by moving the old key to Auth:AdditionalKeys).");
            return 2;
        }

        switch (args)
        {
            case ["list"]:
                var ring = new SigningKeyRing(options, TimeProvider.System);
                var signing = ring.Current.KeyId;
                foreach (var kid in ring.KeyIds)
                {
                    output.WriteLine(kid == signing ? $"{kid} (signing)" : kid);
                }

                return 0;
            case ["rotate"]:
                var added = SigningKeyRing.Rotate(options.KeyDirectory, TimeProvider.System);
                output.WriteLine($"Added key {added}: every front end accepts it within {options.KeyReloadInterval.TotalSeconds:0} s " +
                                 $"and signs with it after {options.KeyActivationDelay.TotalMinutes:0.#} min. Retire the old key after " +
                                 $"{options.AccessTokenLifetime.TotalMinutes:0} more minutes (keys retire <kid>).");
                return 0;
            case ["retire", var kid]:
                try
                {
                    if (!SigningKeyRing.Retire(options.KeyDirectory, kid))
                    {
                        output.WriteLine($"No key {kid}.");
                        return 1;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    output.WriteLine(e.Message);
                    return 1;
                }

                output.WriteLine($"Retired key {kid}: tokens it signed are refused from now on.");
                return 0;
            default:
                output.WriteLine("usage: keys list | rotate | retire <kid>");
                return 2;
        }
    }
}
