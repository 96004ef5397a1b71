using System.Text.Json;

namespace Mero.Integration.Tests;

/// <summary>Admin-API steps shared by the tests that run several real merod processes.</summary>
internal static class MerodCluster
{
    /// <summary>Invites <paramref name="joiner"/> from <paramref name="inviter"/>, joins the namespace, then the context.</summary>
    public static async Task JoinAsync(MerodProcess joiner, MerodProcess inviter, string ns, string context)
    {
        var invitation = await AdminAsync(inviter, HttpMethod.Post, $"/admin-api/namespaces/{ns}/invite", new { });
        await AdminAsync(joiner, HttpMethod.Post, $"/admin-api/namespaces/{ns}/join", new { invitation = invitation.GetProperty("invitation") });
        await AdminAsync(joiner, HttpMethod.Post, $"/admin-api/contexts/{context}/join", new { });
    }

    /// <summary>Sends an admin request; returns its <c>data</c> when there is one.</summary>
    public static async Task<JsonElement> AdminAsync(MerodProcess node, HttpMethod method, string path, object body)
    {
        var response = await node.Http.SendJsonAsync(method, path, body);
        return response.TryGetProperty("data", out var data) ? data : response;
    }

    /// <summary>Polls until every node reports the same root hash and DAG heads, or the deadline passes.</summary>
    public static async Task<(bool Ok, string Views)> ConvergedAsync(MerodProcess[] nodes, string context, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var views = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            views.Clear();
            foreach (var node in nodes)
            {
                var dto = (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{context}")).GetProperty("data");
                var heads = dto.GetProperty("dagHeads").EnumerateArray().Select(h => h.GetString()).Order(StringComparer.Ordinal);
                views.Add(dto.GetProperty("contextStateHash").GetString() + " " + string.Join(",", heads));
            }

            if (views.Distinct().Count() == 1)
            {
                return (true, views[0]);
            }

            await Task.Delay(200);
        }

        return (false, string.Join(" | ", nodes.Zip(views, (n, v) => $"{n.NodeName}: {v}")));
    }
}
