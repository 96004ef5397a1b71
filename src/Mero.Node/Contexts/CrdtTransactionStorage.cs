using Mero.Runtime.Host;
using Mero.State.Crdt;

namespace Mero.Node.Contexts;

/// <summary>
/// Hands a CRDT transaction to the runtime: storage_read/write/remove become LWW entries of the
/// context's root, and the js_crdt_* functions reach the collections through <see cref="Transaction"/>.
/// </summary>
internal sealed class CrdtTransactionStorage(CrdtTransaction transaction) : ICrdtRuntimeStorage
{
    public CrdtTransaction Transaction => transaction;

    public byte[]? Read(ReadOnlySpan<byte> key) => transaction.Read(key);

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => transaction.Write(key, value);

    public byte[]? Remove(ReadOnlySpan<byte> key) => transaction.Remove(key);
}
