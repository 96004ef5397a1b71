using Mero.Node.Configuration;
using Mero.Server.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Mero.Server;

/// <summary>Wires the HTTP surfaces onto a web application: Kestrel on the configured endpoints, admin API, JSON-RPC, WebSocket and SSE.</summary>
public static class MeroServer
{
    public static WebApplicationBuilder ConfigureMeroServer(this WebApplicationBuilder builder, NodeOptions options)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var endpoint in options.ServerEndpoints)
            {
                kestrel.Listen(endpoint);
            }

            kestrel.Limits.MaxRequestBodySize = 32 * 1024 * 1024;
        });
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = 21 * 1024 * 1024);
        builder.Services.AddSingleton<SseSessions>();
        return builder;
    }

    public static WebApplication MapMeroEndpoints(this WebApplication app, NodeOptions options)
    {
        if (options.AdminApiEnabled)
        {
            app.MapAdminApi();
        }

        if (options.JsonRpcEnabled)
        {
            app.MapJsonRpc();
        }

        if (options.WebSocketEnabled)
        {
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
            app.MapWebSocketApi();
        }

        if (options.SseEnabled)
        {
            app.MapSseApi();
        }

        return app;
    }
}
