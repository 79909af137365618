using Npgsql;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// A migration needs a name that something not ours already has in the warehouse's schema: a Segment or RudderStack
/// warehouse keeps tables named <c>users</c>, <c>pages</c>, <c>tracks</c> where our views would go. The start stops
/// with what to do instead of the database's bare "already exists".
/// </summary>
internal sealed class SchemaClashException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>Whether the database refused a migration because the name it creates is taken.</summary>
    public static bool IsClash(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.WrongObjectType;

    /// <summary>The clash, worded for the operator: which migration, which name, and how to give the consumer its own schema.</summary>
    public static SchemaClashException For(int version, string description, PostgresException exception) => new(
        $"migration {version} ({description}) cannot create what the schema already holds: {exception.MessageText}. "
        + "If this database already holds another warehouse (Segment and RudderStack keep users, pages, tracks, identifies), "
        + $"give the consumer a schema of its own: CREATE SCHEMA tracking, then add Search Path=tracking to {WarehouseOptions.Section}:ConnectionString.",
        exception);
}
