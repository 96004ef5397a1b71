using System.Text.Encodings.Web;
using System.Text.Json;
using Mero.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Meroctl;

/// <summary>
/// Where a command's result goes: in <c>json</c> mode one compact JSON document per result on stdout,
/// nothing else; in <c>human</c> mode Spectre tables (rounded borders) like upstream's.
/// </summary>
internal sealed class Output(TextWriter stdout, bool json, bool terminal)
{
    /// <summary>The wire options, but without escaping non-ASCII or HTML characters: the output is for terminals and jq.</summary>
    private static readonly JsonSerializerOptions JsonOut = new(ApiJson.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private IAnsiConsole? _console;

    public bool Json { get; } = json;

    public TextWriter Writer { get; } = stdout;

    public IAnsiConsole Console => _console ??= CreateConsole();

    /// <summary>Prints <paramref name="data"/> as JSON, or renders it with <paramref name="human"/>.</summary>
    public void Write<T>(T data, Action<Output> human)
    {
        if (Json)
        {
            Writer.WriteLine(JsonSerializer.Serialize(data, JsonOut));
        }
        else
        {
            human(this);
        }

        Writer.Flush();
    }

    public void Line(string text) => Writer.WriteLine(text);

    public void Render(IRenderable renderable) => Console.Write(renderable);

    public static string Pretty(JsonElement element) => JsonSerializer.Serialize(element, PrettyJson);

    public static string Compact(JsonElement? element) =>
        element is { } e ? JsonSerializer.Serialize(e, JsonOut) : "";

    public static Table Table(params string[] headers) => TableWith("blue", headers);

    /// <summary>A one-header table for confirmations ("Application Installed"…), header in green.</summary>
    public static Table Success(string header, string message) => TableWith("green", header).AddRow(new Text(message));

    public static Table Row(Table table, params string?[] cells)
    {
        table.AddRow([.. cells.Select(c => (IRenderable)new Text(c ?? ""))]);
        return table;
    }

    private static Table TableWith(string color, params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Markup($"[{color}]{Markup.Escape(header)}[/]")));
        }

        return table;
    }

    private IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal)
        {
            // Redirected or captured: never wrap ids to an imagined 80 columns.
            console.Profile.Width = 1000;
        }

        return console;
    }
}
