using Mero.Runtime;
using Mero.State;

namespace Mero.Node.Contexts;

/// <summary>Hands a state transaction to the runtime as its storage.</summary>
internal sealed class TransactionStorage(StateTransaction transaction) : IRuntimeStorage
{
    public byte[]? Read(ReadOnlySpan<byte> key) => transaction.Read(key);

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => transaction.Write(key, value);

    public byte[]? Remove(ReadOnlySpan<byte> key) => transaction.Remove(key);
}
