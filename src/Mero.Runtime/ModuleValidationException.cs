namespace Mero.Runtime;

/// <summary>The bytes given to <see cref="WasmEngine.Compile"/> are not an acceptable guest module.</summary>
public sealed class ModuleValidationException : Exception
{
    public ModuleValidationException()
    {
    }

    public ModuleValidationException(string message)
        : base(message)
    {
    }

    public ModuleValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
