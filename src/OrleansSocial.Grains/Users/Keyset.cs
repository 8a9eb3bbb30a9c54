using System.Text;
using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// Keyset pagination over an identity column, newest first: <c>max_id</c> pages back, <c>since_id</c> gives the newest
/// rows after a cursor, <c>min_id</c> the rows right after a cursor (read oldest first, returned newest first).
/// </summary>
public static class Keyset
{
    /// <summary>Appends the cursor conditions and ORDER/LIMIT for <paramref name="column"/> to <paramref name="sql"/>.</summary>
    public static void Apply(StringBuilder sql, NpgsqlCommand command, string column, PageQuery page)
    {
        if (page.MaxId is { } max)
        {
            sql.Append(" AND ").Append(column).Append(" < ").Append(Parameter(command, max));
        }

        if (page.SinceId is { } since)
        {
            sql.Append(" AND ").Append(column).Append(" > ").Append(Parameter(command, since));
        }

        if (page.MinId is { } min)
        {
            sql.Append(" AND ").Append(column).Append(" > ").Append(Parameter(command, min));
        }

        sql.Append(" ORDER BY ").Append(column).Append(page.MinId is null ? " DESC" : " ASC");
        sql.Append(" LIMIT ").Append(Parameter(command, (long)Math.Clamp(page.Limit, 1, 100)));
    }

    /// <summary>Rows read for a <c>min_id</c> page come oldest first; lists are always returned newest first.</summary>
    public static List<T> NewestFirst<T>(List<T> rows, PageQuery page)
    {
        if (page.MinId is not null)
        {
            rows.Reverse();
        }

        return rows;
    }

    public static string Parameter(NpgsqlCommand command, object value)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        return "$" + command.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
