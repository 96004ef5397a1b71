using System.CommandLine;
using System.Globalization;

namespace Meroctl;

/// <summary><c>meroctl blob</c>: upstream's subcommands (list/ls, upload, download, info, delete/rm) and flags.</summary>
public sealed partial class CommandFactory
{
    private Command BlobCommand()
    {
        var command = new Command("blob", "Upload, download, inspect, and delete blobs");

        var list = new Command("list", "List all blobs");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var blobs = await s.Client.ListBlobsAsync(ct).ConfigureAwait(false);
            s.Output.Write(blobs, o =>
            {
                if (blobs.Blobs.Count == 0)
                {
                    o.Line("No blobs found");
                    return;
                }

                var table = Output.Table("Blob ID", "Size");
                foreach (var blob in blobs.Blobs)
                {
                    Output.Row(table, blob.BlobId, blob.Size.ToString(CultureInfo.InvariantCulture));
                }

                o.Render(table);
            });
        }));

        var file = new Option<string>("--file", "-f") { Description = "File to upload", Required = true, HelpName = "FILE" };
        var uploadContext = new Option<string?>("--context-id", "-c") { Description = "Context to announce the blob to", HelpName = "CONTEXT_ID" };
        var upload = new Command("upload", "Upload a blob from a file") { file, uploadContext };
        upload.SetAction(Run(async (s, ct) =>
        {
            var path = Path.GetFullPath(s.Parse.GetRequiredValue(file));
            if (!File.Exists(path))
            {
                throw new UsageException($"--file: no such file: {path}");
            }

            var stream = File.OpenRead(path);
            await using (stream.ConfigureAwait(false))
            {
                var info = await s.Client.UploadBlobAsync(stream, s.Parse.GetValue(uploadContext), ct).ConfigureAwait(false);
                s.Output.Write(info, o => o.Render(Output.Row(Output.Table("Blob ID", "Size"), info.BlobId, info.Size.ToString(CultureInfo.InvariantCulture))));
            }
        }));

        var downloadId = new Option<string>("--blob-id", "-b") { Description = "Blob to download", Required = true, HelpName = "BLOB_ID" };
        var output = new Option<string>("--output", "-o") { Description = "File to write", Required = true, HelpName = "FILE" };
        var downloadContext = new Option<string?>("--context-id", "-c") { Description = "Context the blob belongs to: a missing blob is fetched as this node's member of it", HelpName = "CONTEXT_ID" };
        var download = new Command("download", "Download a blob to a file") { downloadId, output, downloadContext };
        download.SetAction(Run(async (s, ct) =>
        {
            var path = Path.GetFullPath(s.Parse.GetRequiredValue(output));
            var partial = path + ".part";
            long bytes;
            // Written beside the target and moved at the end, so a failed download leaves no half file.
            var stream = File.Create(partial);
            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    bytes = await s.Client.DownloadBlobAsync(s.Parse.GetRequiredValue(downloadId), stream, s.Parse.GetValue(downloadContext), ct).ConfigureAwait(false);
                }
                catch
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    File.Delete(partial);
                    throw;
                }
            }

            File.Move(partial, path, overwrite: true);
            var result = new { blob_id = s.Parse.GetRequiredValue(downloadId), size = bytes, output = path };
            s.Output.Write(result, o => o.Render(Output.Success("Blob Downloaded", $"Wrote {bytes} bytes to {path}")));
        }));

        var infoId = new Option<string>("--blob-id", "-b") { Description = "Blob to describe", Required = true, HelpName = "BLOB_ID" };
        var info = new Command("info", "Get information about a blob") { infoId };
        info.SetAction(Run(async (s, ct) =>
        {
            var meta = await s.Client.GetBlobInfoAsync(s.Parse.GetRequiredValue(infoId), ct).ConfigureAwait(false);
            s.Output.Write(meta, o => o.Render(Output.Row(Output.Table("Blob ID", "Size", "Hash", "MIME type"), meta.BlobId, meta.Size.ToString(CultureInfo.InvariantCulture), meta.Hash, meta.MimeType)));
        }));

        var deleteId = new Option<string>("--blob-id", "-b") { Description = "Blob to delete", Required = true, HelpName = "BLOB_ID" };
        var delete = new Command("delete", "Delete a blob by its ID") { deleteId };
        delete.Aliases.Add("rm");
        delete.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.DeleteBlobAsync(s.Parse.GetRequiredValue(deleteId), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Blob Deleted", $"Deleted blob '{result.BlobId}'")));
        }));

        command.Add(list);
        command.Add(upload);
        command.Add(download);
        command.Add(info);
        command.Add(delete);
        return command;
    }
}
