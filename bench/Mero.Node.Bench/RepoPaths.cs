namespace Mero.Node.Bench;

/// <summary>Finds the repository root (the folder holding Mero.slnx) and the artifacts built from it.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string KvStoreWasm => Require(Path.Combine(Root, "apps", "kv-store", "build", "kv-store.wasm"), "run scripts/build-apps.sh");

    public static string MerodDll => Require(Path.Combine(Root, "src", "merod", "bin", "Release", "net10.0", "merod.dll"), "run dotnet build Mero.slnx -c Release");

    private static string Require(string path, string hint) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: {hint}");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("could not find Mero.slnx above the benchmark binaries");
    }
}
