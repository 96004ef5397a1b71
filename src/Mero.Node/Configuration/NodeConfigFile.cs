using System.Text.Json;
using Tomlyn;

namespace Mero.Node.Configuration;

/// <summary>
/// The node's <c>config.toml</c>, with upstream's section and key names. It is the on-disk form
/// only; <see cref="NodeOptions"/> is what the running node uses.
/// </summary>
public sealed class NodeConfigFile
{
    public const string FileName = "config.toml";

    public string Mode { get; set; } = "standard";

    public IdentitySection Identity { get; set; } = new();

    public ListenSection Swarm { get; set; } = new();

    public ServerSection Server { get; set; } = new();

    public BootstrapSection Bootstrap { get; set; } = new();

    public DiscoverySection Discovery { get; set; } = new();

    public SyncSection Sync { get; set; } = new();

    public PathSection Datastore { get; set; } = new() { Path = "data" };

    public PathSection Blobstore { get; set; } = new() { Path = "blobs" };

    public RuntimeSection Runtime { get; set; } = new();

    private static readonly TomlSerializerOptions TomlOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static NodeConfigFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new NodeConfigException($"no config at {path}: run `merod init` first");
        }

        try
        {
            return TomlSerializer.Deserialize<NodeConfigFile>(File.ReadAllText(path), TomlOptions)
                ?? throw new NodeConfigException($"{path} is empty");
        }
        catch (TomlException ex)
        {
            throw new NodeConfigException($"{path} is not valid TOML for a node config: {ex.Message}", ex);
        }
    }

    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, TomlSerializer.Serialize(this, TomlOptions));
        File.Move(tmp, path, overwrite: true);
    }

    public sealed class IdentitySection
    {
        public string PeerId { get; set; } = "";

        public string Keypair { get; set; } = "";
    }

    public sealed class ListenSection
    {
        public List<string> Listen { get; set; } = [];
    }

    public sealed class ServerSection
    {
        public List<string> Listen { get; set; } = [];

        public string AuthMode { get; set; } = "proxy";

        public EnabledSection Admin { get; set; } = new();

        public EnabledSection Jsonrpc { get; set; } = new();

        public EnabledSection Websocket { get; set; } = new();

        public EnabledSection Sse { get; set; } = new();
    }

    public sealed class EnabledSection
    {
        public bool Enabled { get; set; } = true;
    }

    public sealed class BootstrapSection
    {
        public List<string> Nodes { get; set; } = [];
    }

    public sealed class DiscoverySection
    {
        public bool Mdns { get; set; }
    }

    public sealed class SyncSection
    {
        public long TimeoutMs { get; set; } = 30_000;

        public long IntervalMs { get; set; } = 5_000;

        public long FrequencyMs { get; set; } = 10_000;

        /// <summary>Ours (issue #7): how often each context gossips its (root, heads) heartbeat.</summary>
        public long HeartbeatIntervalMs { get; set; } = 30_000;
    }

    public sealed class PathSection
    {
        public string Path { get; set; } = "";
    }

    public sealed class RuntimeSection
    {
        public RuntimeLimitsSection Limits { get; set; } = new();

        public RuntimeFetchSection Fetch { get; set; } = new();
    }

    /// <summary>The guest HTTP fetch host function: off unless enabled, and then only to these hosts.</summary>
    public sealed class RuntimeFetchSection
    {
        public bool Enabled { get; set; }

        public List<string> AllowedHosts { get; set; } = [];
    }

    /// <summary>Operator overrides of the VM limits; absent keys keep the built-in defaults.</summary>
    public sealed class RuntimeLimitsSection
    {
        public int? MaxLogs { get; set; }

        public int? MaxLogSize { get; set; }

        public long? MaxFuel { get; set; }

        public int? MaxMemoryPages { get; set; }

        public long? ExecutionTimeoutMs { get; set; }

        public int? MaxEvents { get; set; }

        public int? MaxXcalls { get; set; }

        public long? MaxStorageKeySize { get; set; }

        public long? MaxStorageValueSize { get; set; }
    }
}

public sealed class NodeConfigException(string message, Exception? inner = null) : Exception(message, inner);
