using Microsoft.Extensions.Logging;

namespace Mero.Runtime;

internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Compiled module {Hash} ({Size} bytes) in {ElapsedMs:0.0} ms")]
    public static partial void ModuleCompiled(this ILogger logger, string hash, int size, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Rejected module {Hash}: {Reason}")]
    public static partial void ModuleRejected(this ILogger logger, string hash, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Ran {Method} on module {Hash}: {Result} in {ElapsedMs:0.0} ms, {FuelUsed} fuel")]
    public static partial void RunFinished(this ILogger logger, string method, string hash, string result, double elapsedMs, long fuelUsed);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Discarded cached module {Hash}: {Reason}; recompiling")]
    public static partial void CacheEntryDiscarded(this ILogger logger, string hash, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Could not cache compiled module {Hash}: {Reason}")]
    public static partial void CacheWriteFailed(this ILogger logger, string hash, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Loaded module {Hash} from the disk cache")]
    public static partial void ModuleLoadedFromCache(this ILogger logger, string hash);
}
