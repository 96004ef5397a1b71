using System.Text;
using Mero.State.Crdt;

namespace Mero.State.Tests.Crdt;

/// <summary>Random operations over a fixed schema of nested collections, and a readable snapshot of it.</summary>
internal static class RandomWorkload
{
    private static readonly string[] RawKeys = ["k0", "k1", "k2"];
    private static readonly string[] MapKeys = ["a", "b", "c"];
    private static readonly string[] Users = ["u0", "u1"];

    public static CollectionRef Map(CrdtTransaction t) => t.Child(CollectionRef.Root, "m"u8, CrdtKind.Map);

    public static CollectionRef Users_(CrdtTransaction t) => t.Child(CollectionRef.Root, "users"u8, CrdtKind.Map);

    public static CollectionRef Profile(CrdtTransaction t, string user) => t.Child(Users_(t), Encoding.UTF8.GetBytes(user), CrdtKind.Map);

    public static CollectionRef Log(CrdtTransaction t, string user) => t.Child(Profile(t, user), "log"u8, CrdtKind.Vector);

    public static CollectionRef Notes(CrdtTransaction t, string user) => t.Child(Profile(t, user), "notes"u8, CrdtKind.Text);

    public static CollectionRef Tags(CrdtTransaction t) => t.Child(CollectionRef.Root, "tags"u8, CrdtKind.Set);

    public static CollectionRef Hits(CrdtTransaction t) => t.Child(CollectionRef.Root, "hits"u8, CrdtKind.Counter);

    public static CollectionRef Title(CrdtTransaction t) => t.Child(CollectionRef.Root, "title"u8, CrdtKind.Register);

    public static CollectionRef Doc(CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);

    // Every op but the text ones (11, 12, 13, 15).
    private static readonly int[] NoTextOps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 16];

    public static void RandomOp(CrdtTransaction t, Random random) => RandomOp(t, random, withText: true);

    /// <summary>One random op; without <paramref name="withText"/> it never touches a text collection.</summary>
    public static void RandomOp(CrdtTransaction t, Random random, bool withText)
    {
        var value = Encoding.UTF8.GetBytes($"v{random.Next(100)}");
        var user = Users[random.Next(Users.Length)];
        switch (withText ? random.Next(17) : NoTextOps[random.Next(NoTextOps.Length)])
        {
            case 0:
                t.Write(Encoding.UTF8.GetBytes(Pick(random, RawKeys)), value);
                break;
            case 1:
                t.Remove(Encoding.UTF8.GetBytes(Pick(random, RawKeys)));
                break;
            case 2:
                t.MapInsert(Map(t), Encoding.UTF8.GetBytes(Pick(random, MapKeys)), value);
                break;
            case 3:
                t.MapRemove(Map(t), Encoding.UTF8.GetBytes(Pick(random, MapKeys)));
                break;
            case 4:
                t.MapInsert(Profile(t, user), Encoding.UTF8.GetBytes(Pick(random, MapKeys)), value);
                break;
            case 5:
                t.VectorPush(Log(t, user), value);
                break;
            case 6:
                var log = Log(t, user);
                var length = t.VectorLength(log);
                if (length > 0)
                {
                    if (random.Next(2) == 0)
                    {
                        t.VectorUpdate(log, random.NextInt64(length), value);
                    }
                    else
                    {
                        t.VectorPop(log);
                    }
                }

                break;
            case 7:
                t.SetInsert(Tags(t), Encoding.UTF8.GetBytes(Pick(random, MapKeys)));
                break;
            case 8:
                if (random.Next(4) == 0)
                {
                    t.SetClear(Tags(t));
                }
                else
                {
                    t.SetRemove(Tags(t), Encoding.UTF8.GetBytes(Pick(random, MapKeys)));
                }

                break;
            case 9:
                if (random.Next(3) == 0)
                {
                    t.CounterDecrement(Hits(t));
                }
                else
                {
                    t.CounterIncrement(Hits(t), (ulong)random.Next(1, 4));
                }

                break;
            case 10:
                t.RegisterSet(Title(t), random.Next(4) == 0 ? null : value);
                break;
            case 14:
                // Removes the user's profile map with its nested log and notes.
                t.MapRemove(Users_(t), Encoding.UTF8.GetBytes(user));
                break;
            case 15:
                // A text under a removed key refuses writes (docs/crdt.md).
                try
                {
                    var notes = Notes(t, user);
                    t.TextInsert(notes, random.Next(t.TextLength(notes) + 1), ((char)('a' + random.Next(26))).ToString());
                }
                catch (CrdtException ex) when (ex.Message.Contains("removed", StringComparison.Ordinal))
                {
                }

                break;
            case 16:
                t.CounterIncrement(t.Child(Profile(t, user), "visits"u8, CrdtKind.Counter));
                break;
            case 11:
            case 12:
                var doc = Doc(t);
                t.TextInsert(doc, random.Next(t.TextLength(doc) + 1), random.Next(5) == 0 ? "xy" : ((char)('a' + random.Next(26))).ToString());
                break;
            default:
                var text = Doc(t);
                var size = t.TextLength(text);
                if (size > 0)
                {
                    var at = random.Next(size);
                    t.TextDelete(text, at, Math.Min(size - at, random.Next(1, 3)));
                }

                break;
        }
    }

    /// <summary>Every value of the schema, as text, for comparing replicas.</summary>
    public static string Snapshot(CrdtTransaction t)
    {
        var s = new StringBuilder();
        foreach (var key in RawKeys)
        {
            s.Append(key).Append('=').Append(Show(t.Read(Encoding.UTF8.GetBytes(key)))).Append(';');
        }

        s.Append("|users:").Append(Entries(t, Users_(t))).Append(" len=").Append(t.MapLength(Users_(t)));
        s.Append("|m:").Append(Entries(t, Map(t))).Append(" len=").Append(t.MapLength(Map(t)));
        foreach (var user in Users)
        {
            s.Append('|').Append(user).Append(':').Append(Entries(t, Profile(t, user)));
            s.Append(" log=").Append(string.Join(",", t.VectorItems(Log(t, user)).Select(Show)));
            var log = Log(t, user);
            s.Append(" len=").Append(t.VectorLength(log));
            s.Append(" notes=").Append(t.TextGet(Notes(t, user)));
            s.Append(" visits=").Append(t.CounterValue(t.Child(Profile(t, user), "visits"u8, CrdtKind.Counter)));
            for (var i = 0; i < t.VectorLength(log); i++)
            {
                s.Append(" [").Append(i).Append("]=").Append(Show(t.VectorGet(log, i)));
            }
        }

        s.Append("|tags=").Append(string.Join(",", t.SetElements(Tags(t)).Select(Show))).Append(" len=").Append(t.SetLength(Tags(t)));
        s.Append("|hits=").Append(t.CounterValue(Hits(t)));
        s.Append("|title=").Append(Show(t.RegisterGet(Title(t))));
        s.Append("|doc=").Append(t.TextGet(Doc(t)));
        return s.ToString();
    }

    private static string Entries(CrdtTransaction t, CollectionRef map) =>
        string.Join(",", t.MapEntries(map).Select(e => Show(e.Key) + "=" + Show(e.Value)));

    private static string Show(byte[]? bytes) => bytes is null ? "-" : Encoding.UTF8.GetString(bytes);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
