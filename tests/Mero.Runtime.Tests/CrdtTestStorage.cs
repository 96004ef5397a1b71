using Mero.Runtime.Host;
using Mero.State.Crdt;

namespace Mero.Runtime.Tests;

/// <summary>Hands a real CRDT transaction to the runtime, as the node's transaction storage does.</summary>
internal sealed class CrdtTestStorage(CrdtTransaction transaction) : ICrdtRuntimeStorage
{
    public CrdtTransaction Transaction => transaction;

    public byte[]? Read(ReadOnlySpan<byte> key) => transaction.Read(key);

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => transaction.Write(key, value);

    public byte[]? Remove(ReadOnlySpan<byte> key) => transaction.Remove(key);
}
