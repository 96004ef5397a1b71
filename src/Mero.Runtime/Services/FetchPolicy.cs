namespace Mero.Runtime;

/// <summary>
/// Controls the fetch host function. Disabled unless configured; when enabled, only hosts on
/// the allow-list (exact, case-insensitive match) over http or https may be requested.
/// </summary>
public sealed record FetchPolicy
{
    public static FetchPolicy Disabled { get; } = new();

    public bool Enabled { get; init; }

    public IReadOnlySet<string> AllowedHosts { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Upper bound per request; the call's own deadline may cut it shorter.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest response body handed back to the guest; longer bodies fail the request.</summary>
    public long MaxResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>Transport used for requests; tests substitute their own.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public bool Allows(Uri uri) =>
        Enabled && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && AllowedHosts.Contains(uri.Host);

    public static FetchPolicy AllowOnly(params string[] hosts) =>
        new() { Enabled = true, AllowedHosts = new HashSet<string>(hosts, StringComparer.OrdinalIgnoreCase) };
}
