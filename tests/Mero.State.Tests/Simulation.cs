using Mero.State.Text;

namespace Mero.State.Tests;

/// <summary>
/// N replicas editing one text concurrently. Ops travel as encoded bytes to every other replica's
/// inbox, sometimes twice, and are applied in random order; an op reporting a missing dependency
/// stays in the inbox for a later try. Deterministic for a seed.
/// </summary>
internal sealed class Simulation
{
    private readonly Random _random;
    private readonly List<byte[]>[] _inboxes;
    private readonly List<RgaOp> _history = [];

    public Simulation(int seed, int replicas)
    {
        _random = new Random(seed);
        Replicas = new RgaText[replicas];
        _inboxes = new List<byte[]>[replicas];
        for (var i = 0; i < replicas; i++)
        {
            // Random keys: tie-break order is unrelated to replica numbering.
            Replicas[i] = new RgaText(Keys.Random(_random));
            _inboxes[i] = [];
        }
    }

    public RgaText[] Replicas { get; }

    /// <summary>Every op created, in causal (creation) order.</summary>
    public IReadOnlyList<RgaOp> History => _history;

    public int Duplicates { get; private set; }

    public int Retries { get; private set; }

    public void Run(int steps, bool checkInvariants)
    {
        for (var step = 0; step < steps; step++)
        {
            var r = _random.Next(Replicas.Length);
            var roll = _random.Next(100);
            if (roll < 55)
            {
                Edit(r);
            }
            else if (roll < 97)
            {
                Deliver(r, _random.Next(1, 6));
            }
            else
            {
                Restart(r);
            }

            if (checkInvariants)
            {
                Replicas[r].CheckInvariants();
            }
        }
    }

    /// <summary>Delivers everything everywhere.</summary>
    public void Flush()
    {
        for (var r = 0; r < Replicas.Length; r++)
        {
            var guard = 0;
            while (_inboxes[r].Count > 0)
            {
                Deliver(r, _inboxes[r].Count);
                if (++guard > 10_000)
                {
                    throw new InvalidOperationException("ops never became applicable");
                }
            }
        }
    }

    private void Edit(int r)
    {
        var doc = Replicas[r];
        RgaOp op;
        if (doc.Length > 0 && _random.Next(3) == 0)
        {
            var index = _random.Next(doc.Length);
            op = doc.Delete(index, _random.Next(1, Math.Min(4, doc.Length - index) + 1));
        }
        else
        {
            // Favour a few hot spots, so concurrent inserts at one position are common.
            var index = _random.Next(4) == 0 ? _random.Next(doc.Length + 1) : Math.Min(doc.Length, _random.Next(3));
            op = doc.Insert(index, RandomText());
        }

        var bytes = RgaText.EncodeOp(op);
        _history.Add(RgaText.DecodeOp(bytes));
        for (var other = 0; other < Replicas.Length; other++)
        {
            if (other == r)
            {
                continue;
            }

            _inboxes[other].Add(bytes);
            if (_random.Next(5) == 0)
            {
                _inboxes[other].Add(bytes);
                Duplicates++;
            }
        }
    }

    private void Deliver(int r, int count)
    {
        var inbox = _inboxes[r];
        for (var i = 0; i < count && inbox.Count > 0; i++)
        {
            var at = _random.Next(inbox.Count);
            var bytes = inbox[at];
            inbox.RemoveAt(at);
            if (Replicas[r].Apply(RgaText.DecodeOp(bytes)) == RgaApplyResult.MissingDependency)
            {
                inbox.Add(bytes);
                Retries++;
            }
        }
    }

    /// <summary>Replaces a replica by a decode of its own encoded state, as after a restart.</summary>
    private void Restart(int r)
    {
        var doc = Replicas[r];
        var state = doc.EncodeState();
        Replicas[r] = RgaText.DecodeState(state, doc.Replica);
        if (Replicas[r].GetText() != doc.GetText())
        {
            throw new InvalidOperationException("restart changed the text");
        }
    }

    private string RandomText()
    {
        string[] alphabet = ["a", "b", "c", "d", "e", " ", "é", "ж", "😀", "🎉", "\n"];
        var length = _random.Next(6) == 0 ? _random.Next(2, 8) : 1;
        return string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[_random.Next(alphabet.Length)]));
    }
}
