namespace Tracking.Consumer.Warehouse;

/// <summary>The column type a planned property gets, from its JSON Schema <c>type</c> (and <c>format</c>).</summary>
internal enum PlanPropertyKind
{
    /// <summary><c>string</c>: <c>text</c> / <c>VARCHAR(65535)</c>.</summary>
    Text,

    /// <summary><c>string</c> with <c>format: date-time</c>: <c>timestamptz</c> / <c>TIMESTAMPTZ</c>.</summary>
    Timestamp,

    /// <summary><c>integer</c>: <c>bigint</c>.</summary>
    Integer,

    /// <summary><c>number</c>: <c>double precision</c>.</summary>
    Number,

    /// <summary><c>boolean</c>.</summary>
    Boolean,

    /// <summary><c>object</c>: <c>jsonb</c> / <c>SUPER</c>, NULL when the value is not an object.</summary>
    Object,

    /// <summary><c>array</c>: <c>jsonb</c> / <c>SUPER</c>, NULL when the value is not an array.</summary>
    Array,

    /// <summary>No single type (none, several, a <c>$ref</c>): the value as it is, <c>jsonb</c> / <c>SUPER</c>.</summary>
    Json,
}
