using System.Text;

namespace Mero.Runtime;

/// <summary>Upstream's method-name rule: non-empty, at most the limit in bytes, [A-Za-z0-9_] only.</summary>
internal static class MethodName
{
    public static string? Problem(string name, int maxLength)
    {
        if (name.Length == 0)
        {
            return "method name is empty";
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > maxLength)
        {
            return $"method name too long: {bytes} bytes (max: {maxLength})";
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return $"method name contains invalid character at position {i}: '{c}'";
            }
        }

        return null;
    }
}
