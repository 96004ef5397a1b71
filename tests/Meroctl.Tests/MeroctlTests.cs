using System.Text;
using System.Text.Json;
using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

public sealed class MeroctlTests : IAsyncLifetime
{
    private FakeNode _node = null!;
    private string _home = null!;

    public async Task InitializeAsync()
    {
        _node = (await FakeNode.StartAsync()).WithDefaults();
        _home = Directory.CreateTempSubdirectory("meroctl-tests-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    private sealed record Result(int Code, string Out, string Err)
    {
        public JsonElement Json()
        {
            using var doc = JsonDocument.Parse(Out);
            return doc.RootElement.Clone();
        }
    }

    private static async Task<Result> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs against the fake node via <c>--api</c>.</summary>
    private Task<Result> Api(params string[] args) => Run(["--api", _node.Url.ToString(), .. args]);

    private Task<Result> ApiJson(params string[] args) => Api(["--output-format", "json", .. args]);

    [Fact]
    public async Task Health_json()
    {
        var result = await ApiJson("health");

        Assert.Equal(0, result.Code);
        Assert.Equal("alive", result.Json().GetProperty("status").GetString());
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task App_ls_json_is_one_parseable_document()
    {
        var result = await ApiJson("app", "ls");

        Assert.Equal(0, result.Code);
        Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var app = Assert.Single(result.Json().GetProperty("apps").EnumerateArray().ToList());
        Assert.Equal(Canned.AppId, app.GetProperty("id").GetString());
        Assert.Equal(Canned.BlobId, app.GetProperty("blob").GetProperty("bytecode").GetString());
    }

    [Fact]
    public async Task Global_options_may_follow_the_subcommand()
    {
        var result = await Run("app", "list", "--output-format", "json", "--api", _node.Url.ToString());

        Assert.Equal(0, result.Code);
        Assert.Equal(Canned.AppId, result.Json().GetProperty("apps")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task App_ls_human_is_a_rounded_table_without_ansi()
    {
        var result = await Api("app", "ls");

        Assert.Equal(0, result.Code);
        Assert.Contains("╭", result.Out);
        Assert.Contains(Canned.AppId, result.Out);
        Assert.Contains("Source", result.Out);
        Assert.DoesNotContain("\u001b", result.Out);
    }

    [Fact]
    public async Task App_get_json_and_missing_app()
    {
        var found = await ApiJson("app", "get", Canned.AppId);
        Assert.Equal(0, found.Code);
        Assert.Equal(Canned.AppId, found.Json().GetProperty("application").GetProperty("id").GetString());

        var missing = await Api("app", "get", Canned.OtherId);
        Assert.Equal(0, missing.Code);
        Assert.Contains("No application found", missing.Out);
    }

    [Fact]
    public async Task App_install_sends_absolute_path()
    {
        var wasm = Path.Combine(_home, "kv.wasm");
        await File.WriteAllBytesAsync(wasm, [0, 0x61, 0x73, 0x6d]);

        var result = await ApiJson("app", "install", "--path", wasm, "--metadata", "hi", "--package", "com.example.kv", "--version", "1.2.3");

        Assert.Equal(0, result.Code);
        Assert.Equal(Canned.AppId, result.Json().GetProperty("applicationId").GetString());
        using var body = JsonDocument.Parse(_node.Last("POST", "/admin-api/install-dev-application").Body);
        Assert.Equal(Path.GetFullPath(wasm), body.RootElement.GetProperty("path").GetString());
        Assert.Equal("hi"u8.ToArray(), body.RootElement.GetProperty("metadata").EnumerateArray().Select(e => e.GetByte()).ToArray());
        Assert.Equal("com.example.kv", body.RootElement.GetProperty("package").GetString());
        Assert.Equal("1.2.3", body.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task App_install_upload_sends_bytes()
    {
        var wasm = Path.Combine(_home, "kv.wasm");
        byte[] bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
        await File.WriteAllBytesAsync(wasm, bytes);

        var result = await Api("app", "install", "--path", wasm, "--upload");

        Assert.Equal(0, result.Code);
        Assert.Contains(Canned.AppId, result.Out);
        Assert.Contains("Application Installed", result.Out);
        var request = _node.Last("POST", "/admin-api/install-application/upload");
        Assert.Equal(bytes, request.FormFiles["file"].Bytes);
        Assert.Equal("kv.wasm", request.FormFiles["file"].FileName);
    }

    [Fact]
    public async Task App_install_missing_file_is_usage_error()
    {
        var result = await Api("app", "install", "--path", Path.Combine(_home, "nope.wasm"));

        Assert.Equal(2, result.Code);
        Assert.Contains("nope.wasm", result.Err);
        Assert.Empty(_node.Requests);
    }

    [Fact]
    public async Task Context_create_sends_params_and_prints_ids()
    {
        var result = await ApiJson("context", "create", "--application-id", Canned.AppId, "--params", """{"owner":"me"}""");

        Assert.Equal(0, result.Code);
        var data = result.Json();
        Assert.Equal(Canned.ContextId, data.GetProperty("contextId").GetString());
        Assert.Equal(Canned.PublicKey, data.GetProperty("memberPublicKey").GetString());
        using var body = JsonDocument.Parse(_node.Last("POST", "/admin-api/contexts").Body);
        Assert.Equal(Canned.AppId, body.RootElement.GetProperty("applicationId").GetString());
        var init = body.RootElement.GetProperty("initializationParams").EnumerateArray().Select(e => e.GetByte()).ToArray();
        Assert.Equal("""{"owner":"me"}""", Encoding.UTF8.GetString(init));
    }

    [Fact]
    public async Task Context_create_human_and_without_params()
    {
        var result = await Api("context", "create", "-a", Canned.AppId);

        Assert.Equal(0, result.Code);
        Assert.Contains("Context Created", result.Out);
        Assert.Contains(Canned.ContextId, result.Out);
        Assert.Contains(Canned.PublicKey, result.Out);
        using var body = JsonDocument.Parse(_node.Last("POST", "/admin-api/contexts").Body);
        Assert.False(body.RootElement.TryGetProperty("initializationParams", out _));
    }

    [Fact]
    public async Task Context_ls_get_identities_delete()
    {
        var list = await ApiJson("context", "ls");
        Assert.Equal(Canned.ContextId, list.Json().GetProperty("contexts")[0].GetProperty("id").GetString());

        var human = await Api("context", "ls");
        Assert.Contains("Root Hash", human.Out);
        Assert.Contains(Canned.RootHash, human.Out);

        var get = await ApiJson("context", "get", Canned.ContextId);
        Assert.Equal(Canned.AppId, get.Json().GetProperty("applicationId").GetString());

        var identities = await ApiJson("context", "identities", Canned.ContextId);
        Assert.Equal(Canned.PublicKey, identities.Json().GetProperty("identities")[0].GetString());

        var upstreamSpelling = await ApiJson("context", "identity", "ls", "--context", Canned.ContextId);
        Assert.Equal(Canned.PublicKey, upstreamSpelling.Json().GetProperty("identities")[0].GetString());

        var delete = await ApiJson("context", "delete", Canned.ContextId);
        Assert.True(delete.Json().GetProperty("isDeleted").GetBoolean());
        Assert.All([list, human, get, identities, upstreamSpelling, delete], r => Assert.Equal(0, r.Code));
    }

    [Fact]
    public async Task Server_error_goes_to_stderr_with_exit_1()
    {
        var result = await ApiJson("context", "get", Canned.OtherId);

        Assert.Equal(1, result.Code);
        Assert.Equal("", result.Out);
        Assert.Contains("Context not found", result.Err);
        Assert.Contains("404", result.Err);
    }

    [Fact]
    public async Task Call_json_prints_result_and_sends_args()
    {
        var result = await ApiJson("call", "get", "--context", Canned.ContextId, "--args", """{"key":"greeting"}""", "--as", Canned.PublicKey);

        Assert.Equal(0, result.Code);
        var data = result.Json();
        Assert.Equal("hello", data.GetProperty("output").GetString());
        Assert.Equal("set greeting", data.GetProperty("logs")[0].GetString());
        using var sent = JsonDocument.Parse(_node.Last("POST", "/jsonrpc").Body);
        var p = sent.RootElement.GetProperty("params");
        Assert.Equal(Canned.ContextId, p.GetProperty("contextId").GetString());
        Assert.Equal("get", p.GetProperty("method").GetString());
        Assert.Equal("greeting", p.GetProperty("argsJson").GetProperty("key").GetString());
        Assert.Equal(Canned.PublicKey, p.GetProperty("executorPublicKey").GetString());
    }

    [Fact]
    public async Task Call_defaults_args_to_empty_object_and_human_shows_output_logs_events()
    {
        var result = await Api("call", "get", "-c", Canned.ContextId);

        Assert.Equal(0, result.Code);
        Assert.StartsWith("\"hello\"", result.Out);
        Assert.Contains("set greeting", result.Out);
        Assert.Contains("Inserted", result.Out);
        Assert.Contains("""{"key":"greeting"}""", result.Out);
        using var sent = JsonDocument.Parse(_node.Last("POST", "/jsonrpc").Body);
        Assert.Equal(JsonValueKind.Object, sent.RootElement.GetProperty("params").GetProperty("argsJson").ValueKind);
    }

    [Fact]
    public async Task Call_rpc_error_goes_to_stderr_with_exit_1()
    {
        _node.On("POST", "/jsonrpc", 200, """
            {"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"function call error: boom","data":{"type":"FunctionCallError","code":"Panic","detail":"boom"}}}
            """);

        var result = await ApiJson("call", "explode", "--context", Canned.ContextId);

        Assert.Equal(1, result.Code);
        Assert.Equal("", result.Out);
        Assert.Contains("function call error: boom", result.Err);
        Assert.Contains("Panic", result.Err);
    }

    [Fact]
    public async Task Invalid_args_json_is_usage_error()
    {
        var result = await Api("call", "get", "--context", Canned.ContextId, "--args", "{bad");

        Assert.Equal(2, result.Code);
        Assert.Contains("--args", result.Err);
        Assert.Empty(_node.Requests);
    }

    [Fact]
    public async Task Call_without_context_falls_back_to_the_default_alias_and_says_how_to_set_one()
    {
        _node.On("POST", "/admin-api/alias/lookup/context/default", 200, """{"data":{"value":null}}""");
        var result = await Api("call", "get");

        Assert.Equal(1, result.Code);
        Assert.Contains("--context", result.Err);
        Assert.Contains("context use", result.Err);
        Assert.DoesNotContain(_node.Requests, r => r.Path == "/jsonrpc");
    }

    [Fact]
    public async Task No_node_or_api_is_a_clear_error()
    {
        var result = await Run("--home", _home, "app", "ls");

        Assert.Equal(2, result.Code);
        Assert.Contains("--node", result.Err);
        Assert.Contains("--api", result.Err);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Node_and_api_conflict()
    {
        var result = await Api("--node", "node1", "health");

        Assert.Equal(2, result.Code);
        Assert.Contains("conflict", result.Err);
    }

    [Fact]
    public async Task Node_reads_address_from_config_toml()
    {
        var dir = Path.Combine(_home, "node1");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "config.toml"), $"""
            [server]
            listen = ["/ip4/0.0.0.0/tcp/{_node.Port}", "/ip6/::/tcp/{_node.Port}"]
            """);

        var result = await Run("--home", _home, "--node", "node1", "--output-format", "json", "context", "ls");

        Assert.Equal(0, result.Code);
        Assert.Equal(Canned.ContextId, result.Json().GetProperty("contexts")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Node_without_config_names_the_file()
    {
        var result = await Run("--home", _home, "--node", "ghost", "health");

        Assert.Equal(1, result.Code);
        Assert.Contains(Path.Combine(_home, "ghost", "config.toml"), result.Err);
    }

    [Fact]
    public async Task Bad_output_format_and_bad_api_url_are_usage_errors()
    {
        var format = await Api("--output-format", "xml", "health");
        Assert.Equal(2, format.Code);

        var url = await Run("--api", "not a url", "health");
        Assert.Equal(2, url.Code);
        Assert.Contains("--api", url.Err);
    }

    [Fact]
    public async Task Help_exits_zero()
    {
        var result = await Run("context", "create", "--help");

        Assert.Equal(0, result.Code);
        Assert.Contains("--application-id", result.Out);
    }
}
