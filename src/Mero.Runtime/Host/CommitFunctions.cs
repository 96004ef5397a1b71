using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// commit(root_hash_ptr, artifact_ptr): the guest's own root hash (32 bytes) and delta artifact,
/// recorded on the outcome. Allowed once per call.
/// </summary>
internal static class CommitFunctions
{
    private const int RootHashLength = 32;

    public static void Define(HostFunctionRegistry registry) => registry.Action("commit", Commit);

    private static void Commit(VmLogic logic, ulong rootHashPtr, ulong artifactPtr)
    {
        if (logic.Commit is not null)
        {
            throw logic.Fail(HostErrorCode.AlreadyCommitted, "commit was already called in this execution");
        }

        var root = logic.ReadExact(rootHashPtr, RootHashLength, "root hash");
        var artifact = logic.Memory.ReadBufferAtMost(artifactPtr, logic.Limits.MaxArtifactSize, HostErrorCode.ArtifactTooLarge, "artifact too large");

        logic.Commit = new CommitRecord(root, logic.Memory.ReadBytes(artifact));
    }
}
