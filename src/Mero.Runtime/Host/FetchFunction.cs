using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// fetch(url, method, headers, body, register) -> u32: a blocking HTTP request, off unless the
/// node's <see cref="FetchPolicy"/> enables it, and then only to allow-listed hosts. Returns 0
/// with the body in the register on HTTP 2xx; 1 with the body or a reason otherwise. Headers
/// are borsh <c>Vec&lt;(String, String)&gt;</c>.
/// </summary>
internal static class FetchFunction
{
    public const string DisabledMessage = "Host function 'fetch' is disabled on this node.";

    private const int MaxHeaders = 64;
    private static readonly HttpMessageHandler SharedHandler = new SocketsHttpHandler { AllowAutoRedirect = false };

    public static void Define(HostFunctionRegistry registry) => registry.FuncU32("fetch", Fetch);

    private static uint Fetch(VmLogic logic, ulong urlPtr, ulong methodPtr, ulong headersPtr, ulong bodyPtr, ulong registerId)
    {
        var policy = logic.Services.Fetch;
        if (!policy.Enabled)
        {
            return Fail(logic, registerId, DisabledMessage);
        }

        var url = logic.Memory.ReadUtf8(logic.Memory.ReadBuffer(urlPtr));
        var method = logic.Memory.ReadUtf8(logic.Memory.ReadBuffer(methodPtr));
        var headers = ReadHeaders(logic, StorageFunctions.ReadValue(logic, headersPtr));
        var body = logic.Memory.ReadBytes(StorageFunctions.ReadValue(logic, bodyPtr));

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return Fail(logic, registerId, $"fetch: invalid URL \"{url}\"");
        }

        if (!policy.Allows(uri))
        {
            return Fail(logic, registerId, $"fetch: host \"{uri.Host}\" ({uri.Scheme}) is not in this node's fetch allow-list");
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), logic.DeadlineTimestamp);
        var timeout = remaining < policy.Timeout ? remaining : policy.Timeout;
        if (timeout <= TimeSpan.Zero)
        {
            return Fail(logic, registerId, "fetch: no time left before the execution deadline");
        }

        try
        {
            using var invoker = new HttpMessageInvoker(policy.Handler ?? SharedHandler, disposeHandler: false);
            using var cts = new CancellationTokenSource(timeout);
            using var response = invoker.Send(request, cts.Token);
            using var stream = response.Content.ReadAsStream(cts.Token);
            var content = ReadCapped(stream, policy.MaxResponseBytes);
            if (content is null)
            {
                return Fail(logic, registerId, $"fetch: response body exceeds {policy.MaxResponseBytes} bytes");
            }

            logic.SetRegister(registerId, content);
            return response.IsSuccessStatusCode ? 0u : 1u;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or NotSupportedException)
        {
            return Fail(logic, registerId, $"fetch: {e.Message}");
        }
    }

    private static uint Fail(VmLogic logic, ulong registerId, string message)
    {
        logic.SetRegister(registerId, Encoding.UTF8.GetBytes(message));
        return 1;
    }

    private static byte[]? ReadCapped(Stream stream, long max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static List<(string Name, string Value)> ReadHeaders(VmLogic logic, GuestBuffer buffer)
    {
        var bytes = logic.Memory.Read(buffer.Ptr, buffer.Len);
        var headers = new List<(string, string)>();
        if (bytes.Length == 0)
        {
            return headers;
        }

        var offset = 0;
        var count = ReadU32(logic, bytes, ref offset);
        if (count > MaxHeaders)
        {
            throw logic.Fail(HostErrorCode.DeserializationError, $"deserialization error: {count} fetch headers (max: {MaxHeaders})");
        }

        for (var i = 0; i < count; i++)
        {
            headers.Add((ReadString(logic, bytes, ref offset), ReadString(logic, bytes, ref offset)));
        }

        if (offset != bytes.Length)
        {
            throw logic.Fail(HostErrorCode.DeserializationError, "deserialization error: trailing bytes after fetch headers");
        }

        return headers;
    }

    private static uint ReadU32(VmLogic logic, ReadOnlySpan<byte> bytes, ref int offset)
    {
        if (bytes.Length - offset < sizeof(uint))
        {
            throw logic.Fail(HostErrorCode.DeserializationError, "deserialization error: truncated fetch headers");
        }

        var value = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
        offset += sizeof(uint);
        return value;
    }

    private static string ReadString(VmLogic logic, ReadOnlySpan<byte> bytes, ref int offset)
    {
        var length = ReadU32(logic, bytes, ref offset);
        if (length > (uint)(bytes.Length - offset))
        {
            throw logic.Fail(HostErrorCode.DeserializationError, "deserialization error: truncated fetch headers");
        }

        var text = bytes.Slice(offset, (int)length);
        if (!Utf8.IsValid(text))
        {
            throw logic.Fail(HostErrorCode.BadUtf8, "invalid UTF-8 string in fetch headers");
        }

        offset += (int)length;
        return Encoding.UTF8.GetString(text);
    }
}
