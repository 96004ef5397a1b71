using Xunit;

namespace Mero.Store.Tests;

/// <summary>Frozen reads (store snapshots, ranges), range deletes and sorted-file ingestion.</summary>
public class BulkAndSnapshotTests
{
    [Fact]
    public void A_snapshot_keeps_reading_the_store_as_it_was_while_writes_go_on()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        Put(store, Column.State, ("a1", "x"), ("a2", "y"));
        using var frozen = store.Snapshot();
        Put(store, Column.State, ("a1", "changed"), ("a3", "new"));

        Assert.Equal([("a1", "x"), ("a2", "y")], Read(frozen.Range(Column.State, "a"u8, "b"u8.ToArray())));
        Assert.Equal([("a1", "changed"), ("a2", "y"), ("a3", "new")], Read(store.Range(Column.State, "a"u8, "b"u8.ToArray())));
    }

    [Fact]
    public void A_range_stops_before_its_upper_bound_and_starts_at_its_lower_one()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        Put(store, Column.State, ("a", "0"), ("ab", "1"), ("ac", "2"), ("b", "3"));

        Assert.Equal([("ab", "1")], Read(store.Range(Column.State, "ab"u8, "ac"u8.ToArray())));
        Assert.Equal([("ac", "2"), ("b", "3")], Read(store.Range(Column.State, "ac"u8, null)));
        Assert.Empty(Read(store.Range(Column.Context, ""u8, null)));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2 }, new byte[] { 1, 3 })]
    [InlineData(new byte[] { 1, 0xFF }, new byte[] { 2 })]
    [InlineData(new byte[] { 0xFF, 0xFF }, null)]
    public void The_end_of_a_prefix_is_the_least_key_above_it(byte[] prefix, byte[]? end) =>
        Assert.Equal(end, StoreRange.EndOfPrefix(prefix));

    [Fact]
    public void A_range_delete_removes_only_its_range()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        Put(store, Column.State, ("a1", "x"), ("b1", "y"), ("b2", "z"), ("c1", "w"));
        using var batch = store.CreateBatch();
        batch.DeleteRange(Column.State, "b"u8.ToArray(), "c"u8.ToArray());
        store.Commit(batch);

        Assert.Equal([("a1", "x"), ("c1", "w")], Read(store.Range(Column.State, ""u8, null)));
    }

    [Fact]
    public void A_sorted_file_is_ingested_whole_and_moved_away()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        Put(store, Column.State, ("k0", "old"));
        var path = Path.Combine(dir.Path, "bulk.sst");
        using (var file = MeroStore.CreateSortedFile(path))
        {
            for (var i = 0; i < 1000; i++)
            {
                file.Add(System.Text.Encoding.UTF8.GetBytes($"k{i:D4}"), System.Text.Encoding.UTF8.GetBytes($"v{i}"));
            }

            file.Finish();
            store.Ingest(Column.State, file);
            Assert.Equal(1000, file.Count);
        }

        Assert.False(File.Exists(path));
        var all = Read(store.Range(Column.State, "k"u8, "l"u8.ToArray()));
        Assert.Equal(1001, all.Count);
        Assert.Equal(("k0999", "v999"), all[^1]);
        Assert.Equal("old"u8.ToArray(), store.Get(Column.State, "k0"u8));
        Assert.Null(store.Get(Column.Context, "k0000"u8));
    }

    [Fact]
    public void A_sorted_file_refuses_keys_out_of_order_or_repeated()
    {
        using var dir = new TempDirectory();
        using var file = MeroStore.CreateSortedFile(Path.Combine(dir.Path, "bad.sst"));
        file.Add([2], [1]);
        Assert.Throws<InvalidDataException>(() => file.Add([1], [1]));
        Assert.Throws<InvalidDataException>(() => file.Add([2], [9]));
        file.Add([3], [1]);
        Assert.Equal(2, file.Count);
    }

    [Fact]
    public void Records_appended_from_spans_keep_exact_bytes_and_order_whatever_their_length()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        var page = new byte[1000];
        new Random(3).NextBytes(page);
        using var file = MeroStore.CreateSortedFile(Path.Combine(dir.Path, "spans.sst"));
        using var empty = MeroStore.CreateSortedFile(Path.Combine(dir.Path, "empty.sst"));
        var longKey = Enumerable.Repeat((byte)'a', 300).ToArray();
        file.Add(longKey, page.AsSpan(10, 400));

        // Compared with the whole previous key, not a prefix of it.
        Assert.Throws<InvalidDataException>(() => file.Add(longKey.AsSpan(0, 200), page.AsSpan(0, 1)));
        Assert.Throws<InvalidDataException>(() => file.Add(longKey, page.AsSpan(0, 1)));
        file.Add([.. longKey, (byte)'b'], ReadOnlySpan<byte>.Empty);
        file.Finish();
        empty.Finish();
        store.Ingest(Column.State, file, empty);

        Assert.Equal(page.AsSpan(10, 400).ToArray(), store.Get(Column.State, longKey));
        Assert.Equal([], store.Get(Column.State, [.. longKey, (byte)'b'])!);
        Assert.Equal(2, Read(store.Range(Column.State, ""u8, null)).Count);
    }

    [Fact]
    public void Ingesting_an_empty_file_changes_nothing()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        using var file = MeroStore.CreateSortedFile(Path.Combine(dir.Path, "empty.sst"));
        file.Finish();
        store.Ingest(Column.State, file);
        Assert.Empty(Read(store.Range(Column.State, ""u8, null)));
    }

    private static void Put(MeroStore store, Column column, params (string Key, string Value)[] records)
    {
        using var batch = store.CreateBatch();
        foreach (var (key, value) in records)
        {
            batch.Put(column, System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(value));
        }

        store.Commit(batch);
    }

    private static List<(string, string)> Read(StoreRange range)
    {
        using (range)
        {
            var records = new List<(string, string)>();
            while (range.MoveNext())
            {
                records.Add((System.Text.Encoding.UTF8.GetString(range.Key), System.Text.Encoding.UTF8.GetString(range.Value)));
            }

            return records;
        }
    }
}
