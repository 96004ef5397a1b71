using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Mero.Runtime;

/// <summary>
/// Compiled modules on disk, so a restarted node does not recompile its apps. Wasmtime trusts
/// serialized code completely, so each file carries a SHA-256 of its payload and anything that
/// fails the check (or that Wasmtime refuses, e.g. after an engine upgrade) is deleted and the
/// module recompiled. File: magic (8 bytes) ‖ SHA-256(payload) ‖ payload.
/// </summary>
internal sealed class ModuleDiskCache
{
    private static readonly byte[] Magic = "MEROCWM1"u8.ToArray();
    private const int HeaderLength = 8 + 32;

    private readonly string _directory;
    private readonly ILogger _logger;

    public ModuleDiskCache(string directory, ILogger logger)
    {
        _directory = directory;
        _logger = logger;
        Directory.CreateDirectory(directory);
    }

    public string PathFor(string hash) => Path.Combine(_directory, hash + ".cwasm");

    /// <summary>The cached module for <paramref name="hash"/>, or null (and no file) if it is missing or unusable.</summary>
    public Module? TryLoad(Engine engine, string hash)
    {
        var path = PathFor(hash);
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            _logger.CacheEntryDiscarded(hash, e.Message);
            return null;
        }

        var payload = file.AsSpan(Math.Min(HeaderLength, file.Length));
        if (file.Length < HeaderLength || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic) ||
            !SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(Magic.Length, 32)))
        {
            Discard(path, hash, "checksum mismatch");
            return null;
        }

        try
        {
            return Module.Deserialize(engine, hash, payload);
        }
        catch (WasmtimeException e)
        {
            Discard(path, hash, e.Message);
            return null;
        }
    }

    /// <summary>Writes atomically (temp file then rename); failures only cost a recompile later.</summary>
    public void Save(string hash, Module module)
    {
        var path = PathFor(hash);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var payload = module.Serialize();
            using (var stream = File.Create(temp))
            {
                stream.Write(Magic);
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            _logger.CacheWriteFailed(hash, e.Message);
            File.Delete(temp);
        }
    }

    private void Discard(string path, string hash, string reason)
    {
        _logger.CacheEntryDiscarded(hash, reason);
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
