using Mero.Primitives.Clock;
using Xunit;

namespace Mero.State.Tests;

public class HybridClockTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private static ulong Ms(DateTimeOffset t) => (ulong)t.ToUnixTimeMilliseconds();

    [Fact]
    public void Now_is_strictly_increasing_while_physical_time_stands_still()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        var previous = clock.Now();
        Assert.Equal(Ms(Start), previous.PhysicalMilliseconds);
        Assert.Equal(0, previous.Counter);
        for (var i = 1; i <= 1000; i++)
        {
            var next = clock.Now();
            Assert.True(next > previous);
            Assert.Equal(Ms(Start), next.PhysicalMilliseconds);
            Assert.Equal(i, next.Counter);
            previous = next;
        }
    }

    [Fact]
    public void Now_follows_physical_time_and_resets_the_counter()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        clock.Now();
        clock.Now();
        time.Advance(TimeSpan.FromMilliseconds(3));
        var stamp = clock.Now();
        Assert.Equal(Ms(Start) + 3, stamp.PhysicalMilliseconds);
        Assert.Equal(0, stamp.Counter);
    }

    [Fact]
    public void Now_stays_monotonic_when_physical_time_goes_backwards()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        var before = clock.Now();
        time.Advance(TimeSpan.FromSeconds(-10));
        var after = clock.Now();
        Assert.True(after > before);
        Assert.Equal(before.PhysicalMilliseconds, after.PhysicalMilliseconds);
    }

    [Fact]
    public void Counter_overflow_carries_into_the_milliseconds()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        HybridTimestamp last = default;
        for (var i = 0; i <= ushort.MaxValue + 1; i++)
        {
            last = clock.Now();
        }

        Assert.Equal(Ms(Start) + 1, last.PhysicalMilliseconds);
        Assert.Equal(0, last.Counter);
    }

    [Fact]
    public void Observe_moves_past_the_remote_stamp()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        var remote = new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) + 2000, 7), Keys.Ordered(2));
        var observed = clock.Observe(remote);
        Assert.True(observed.Time > remote.Time);
        Assert.Equal(Ms(Start) + 2000, observed.PhysicalMilliseconds);
        Assert.Equal(8, observed.Counter);
        Assert.True(clock.Now().Time > remote.Time);
    }

    [Fact]
    public void Observe_of_an_older_stamp_still_advances_the_clock()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        var mine = clock.Now();
        var observed = clock.Observe(new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) - 5000, 0), Keys.Ordered(2)));
        Assert.True(observed > mine);
        Assert.Equal(mine.Time + 1, observed.Time);
    }

    [Fact]
    public void Observe_rejects_stamps_beyond_the_default_drift_and_leaves_the_clock_alone()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time);
        var before = clock.Now();

        var atLimit = new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) + 5000, ushort.MaxValue), Keys.Ordered(2));
        var ahead = new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) + 5001, 0), Keys.Ordered(2));
        var error = Assert.Throws<ClockDriftException>(() => clock.Observe(ahead));
        Assert.Contains("5001 ms ahead", error.Message);
        Assert.Contains("limit is 5000 ms", error.Message);
        Assert.Equal(before, clock.Last);

        Assert.True(clock.Observe(atLimit) > atLimit);
    }

    [Fact]
    public void Drift_is_configurable()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(Keys.Ordered(1), time, TimeSpan.FromMilliseconds(100));
        Assert.Throws<ClockDriftException>(() => clock.Observe(new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) + 101, 0), Keys.Ordered(2))));
        clock.Observe(new HybridTimestamp(HybridTimestamp.Pack(Ms(Start) + 100, 0), Keys.Ordered(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HybridLogicalClock(Keys.Ordered(1), time, TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Clocks_of_two_nodes_never_issue_equal_stamps()
    {
        var time = new ManualTimeProvider(Start);
        var a = new HybridLogicalClock(Keys.Ordered(1), time);
        var b = new HybridLogicalClock(Keys.Ordered(2), time);
        var x = a.Now();
        var y = b.Now();
        Assert.Equal(x.Time, y.Time);
        Assert.NotEqual(x, y);
        Assert.True(x < y); // Same time: the node key breaks the tie.
    }
}
