namespace Mero.Dag;

/// <summary>Something with a content id and the ids of the entries it causally follows.</summary>
public interface IDagNode
{
    Hash Id { get; }

    IReadOnlyList<Hash> Parents { get; }
}
