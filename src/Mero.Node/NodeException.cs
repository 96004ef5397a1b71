namespace Mero.Node;

/// <summary>What went wrong, in terms a caller can map to a status code without parsing messages.</summary>
public enum NodeErrorKind
{
    NotFound,
    InvalidInput,
    InvalidApplication,
    Unauthorized,
}

/// <summary>A request the node refused; nothing was written.</summary>
public sealed class NodeException(NodeErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public NodeErrorKind Kind { get; } = kind;
}
