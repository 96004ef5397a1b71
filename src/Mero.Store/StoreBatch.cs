using RocksDbSharp;

namespace Mero.Store;

/// <summary>A set of writes that <see cref="MeroStore.Commit"/> applies atomically.</summary>
public sealed class StoreBatch : IDisposable
{
    internal StoreBatch(MeroStore owner)
    {
        Owner = owner;
        Inner = new WriteBatch();
    }

    internal MeroStore Owner { get; }

    internal WriteBatch Inner { get; }

    public int Count { get; private set; }

    public StoreBatch Put(Column column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Owner.Lifetime.Enter();
        try
        {
            Inner.Put(key, value, Owner.Handle(column));
        }
        finally
        {
            Owner.Lifetime.Exit();
        }

        Count++;
        return this;
    }

    public StoreBatch Delete(Column column, ReadOnlySpan<byte> key)
    {
        Owner.Lifetime.Enter();
        try
        {
            Inner.Delete(key.ToArray(), Owner.Handle(column));
        }
        finally
        {
            Owner.Lifetime.Exit();
        }

        Count++;
        return this;
    }

    /// <summary>Deletes every key of <paramref name="column"/> in <c>[from, to)</c> as one range tombstone.</summary>
    public StoreBatch DeleteRange(Column column, byte[] from, byte[] to)
    {
        Owner.Lifetime.Enter();
        try
        {
            Inner.DeleteRange(from, (ulong)from.Length, to, (ulong)to.Length, Owner.Handle(column));
        }
        finally
        {
            Owner.Lifetime.Exit();
        }

        Count++;
        return this;
    }

    public void Dispose() => Inner.Dispose();
}
