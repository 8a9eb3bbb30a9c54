using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// ASP.NET Core Data Protection's key ring in PostgreSQL (<c>data_protection_keys</c>): every front end and silo of the
/// cluster reads and adds the same keys, so what one protects another can unprotect.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = db.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY created_at");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var command = db.CreateCommand("INSERT INTO data_protection_keys (name, xml) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName });
        command.Parameters.Add(new NpgsqlParameter { Value = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }
}
