using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace TttCluster.Storage;

/// <summary>
/// Blobs in one Azure Blob storage container: the blob name is the store's name as is ("videos/s.mp4"), so the container
/// can be browsed like the local folder. Every write is a single block-blob upload with overwrite, which the service
/// commits at once: a reader sees the old content or the new, never part of one. Names are checked with
/// <see cref="BlobNames.Check"/> before any request, so both stores accept exactly the same names. Only "not found"
/// (HTTP 404: no such blob, or no such container) means "none"; every other failure is thrown as a
/// <see cref="RequestFailedException"/> whose message names the blob and the container.
/// </summary>
public sealed class AzureBlobStore : IBlobStore
{
    // Enough parallel deletes to empty a story's checkpoints quickly without flooding the account with requests.
    private const int DeleteParallelism = 16;

    private readonly BlobContainerClient container;

    /// <summary>A store over <paramref name="container"/>, which must exist (see <see cref="CreateAsync"/>).</summary>
    public AzureBlobStore(BlobContainerClient container)
    {
        ArgumentNullException.ThrowIfNull(container);
        this.container = container;
    }

    /// <summary>The container holding the blobs.</summary>
    public BlobContainerClient Container => container;

    /// <summary>
    /// A store over the container <paramref name="containerName"/> of the account in <paramref name="connectionString"/>,
    /// creating the container when it is missing (so a fresh account works without a manual step).
    /// </summary>
    public static async Task<AzureBlobStore> CreateAsync(
        string connectionString, string containerName = "tttcluster", CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        var container = new BlobContainerClient(connectionString, containerName);
        try
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancel);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure($"create the container '{containerName}' at {container.Uri}", e);
        }

        return new AzureBlobStore(container);
    }

    /// <inheritdoc/>
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        try
        {
            // BinaryData wraps the memory without copying it.
            await blob.UploadAsync(new BinaryData(content), overwrite: true, cancel);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            // Even a 404 is a failure here: it means the container is gone, and the content was not stored.
            throw Failure("write", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task UploadFileAsync(string name, string path, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            // A big file goes up as staged blocks and becomes visible only when the block list is committed, so readers
            // still see old or new. A missing or unreadable local file throws its own IOException, which is not wrapped.
            await blob.UploadAsync(path, overwrite: true, cancel);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("upload the file '" + path + "' to", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]?> ReadAsync(string name, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        try
        {
            // One GET: content and existence in the same answer, so there is no window between a check and the read.
            Response<BlobDownloadResult> download = await blob.DownloadContentAsync(cancel);
            return download.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (IsNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("read", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task<Stream?> OpenReadAsync(string name, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        try
        {
            // The properties first: they answer "is there such a blob" now (not at the first Read of the stream), and
            // give the version (ETag) the stream will read.
            BlobProperties properties = (await blob.GetPropertiesAsync(cancellationToken: cancel)).Value;

            // The SDK's read stream is seekable with a fixed Length and fetches ranges as it is read. Pinned to the
            // ETag, a replacement of the blob while the stream is in use makes the next fetch fail (412) rather than
            // splice new bytes onto old ones: Azure keeps no old version to go on reading, unlike the folder store.
            var options = new BlobOpenReadOptions(allowModifications: false)
            {
                Conditions = new BlobRequestConditions { IfMatch = properties.ETag },
            };
            return await blob.OpenReadAsync(options, cancel);
        }
        catch (RequestFailedException e) when (IsNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("open", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task<long?> LengthAsync(string name, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        try
        {
            // A HEAD request: the length without the content.
            return (await blob.GetPropertiesAsync(cancellationToken: cancel)).Value.ContentLength;
        }
        catch (RequestFailedException e) when (IsNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("get the length of", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(string name, CancellationToken cancel)
    {
        BlobClient blob = BlobOf(name);
        try
        {
            await DeleteBlobAsync(blob, cancel);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("delete", name, e);
        }
    }

    /// <inheritdoc/>
    public async Task DeleteFolderAsync(string prefix, CancellationToken cancel)
    {
        BlobNames.Check(prefix, "blob folder prefix");

        // The '/' matters: "checkpoints/s1" must not take "checkpoints/s10/..." or the blob "checkpoints/s1" itself.
        // The listing pages by name, so deleting what was already listed does not disturb the pages still to come.
        var blobs = container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix + "/" }, cancel);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancel };
        try
        {
            await Parallel.ForEachAsync(blobs, parallel, async (item, c) =>
            {
                try
                {
                    await DeleteBlobAsync(container.GetBlobClient(item.Name), c);
                }
                catch (Exception e) when (IsServiceFailure(e))
                {
                    throw Failure("delete", item.Name, e);
                }
            });
        }
        catch (Exception e) when (IsServiceFailure(e) && e is not BlobFailure)
        {
            // A failure of the listing itself (a failed delete already says which blob).
            throw Failure($"list the blobs under {BlobNames.Show(prefix + "/")} in the container '{container.Name}' at {container.Uri}", e);
        }
    }

    // DeleteIfExists: a blob deleted meanwhile by someone else is the outcome asked for, not an error. Snapshots go
    // with the blob, as a blob with snapshots cannot be deleted alone.
    private static Task DeleteBlobAsync(BlobClient blob, CancellationToken cancel) =>
        blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancel);

    private BlobClient BlobOf(string name)
    {
        // Checked before any request: a bad name never reaches the service (where "a/../b" could be normalised away).
        BlobNames.Check(name);
        return container.GetBlobClient(name);
    }

    // 404 is the service's "not found" for the blob (BlobNotFound) and for a missing container (ContainerNotFound) alike;
    // for a read both mean there is no such blob.
    private static bool IsNotFound(RequestFailedException e) => e.Status == 404;

    // What the SDK throws for a failed request: RequestFailedException, or an AggregateException of them after retries
    // (connection refused, timeouts). Cancellation, argument errors and local file errors pass through untouched.
    private static bool IsServiceFailure(Exception e) => e is RequestFailedException or AggregateException;

    private RequestFailedException Failure(string action, string name, Exception e) =>
        Failure($"{action} the blob {BlobNames.Show(name)} in the container '{container.Name}' at {container.Uri}", e);

    // The SDK's own message says what went wrong but not on which blob; this one says both, and keeps the status and error
    // code (so callers can still tell a 403 from a 409) and the original exception with its request details.
    private static RequestFailedException Failure(string what, Exception e)
    {
        var request = e as RequestFailedException;
        string reason = e.Message.Split('\n', 2)[0].Trim();
        string code = request is null ? "" : $" (status {request.Status}{(request.ErrorCode is null ? "" : ", " + request.ErrorCode)})";
        return new BlobFailure(request?.Status ?? 0, $"Azure Blob storage could not {what}{code}: {reason}", request?.ErrorCode, e);
    }

    // Callers see a RequestFailedException; the own type only tells this class's wrapped failures from the SDK's.
    private sealed class BlobFailure(int status, string message, string? errorCode, Exception inner)
        : RequestFailedException(status, message, errorCode, inner);
}
