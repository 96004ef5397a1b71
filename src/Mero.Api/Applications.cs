namespace Mero.Api;

/// <summary>Body of <c>POST /admin-api/install-dev-application</c>: a WASM file on the node's disk.</summary>
public sealed record InstallDevApplicationRequest(
    string Path,
    byte[]? Metadata = null,
    string? Package = null,
    string? Version = null);

public sealed record InstallApplicationResponseData(string ApplicationId);

public sealed record ApplicationBlob(string Bytecode, string Compiled);

/// <summary>An installed application as the admin API shows it.</summary>
public sealed record ApplicationDto(
    string Id,
    ApplicationBlob Blob,
    long Size,
    string Source,
    byte[] Metadata,
    string? Package = null,
    string? Version = null);

public sealed record ListApplicationsData(IReadOnlyList<ApplicationDto> Apps);

public sealed record GetApplicationData(ApplicationDto? Application);
