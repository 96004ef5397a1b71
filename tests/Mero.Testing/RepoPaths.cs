namespace Mero.Testing;

/// <summary>Locates the repository and the apps built by scripts/build-apps.sh.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string MerodDll => Require(Path.Combine(Root, "src", "merod", "bin", "Release", "net10.0", "merod.dll"), "run dotnet build Mero.slnx -c Release");

    private static string Require(string path, string hint) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: {hint}");

    public static string App(string name)
    {
        var path = Path.Combine(Root, "apps", name, "build", name + ".wasm");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: run scripts/build-apps.sh (./test.sh does) before the tests");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("could not find Mero.slnx above the test binaries");
    }
}
