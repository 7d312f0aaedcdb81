namespace TttCluster.Storage;

/// <summary>
/// Blobs as files under a local folder: blob "a/b.mp4" is the file <c>{root}/a/b.mp4</c>. Writes go to a temporary file
/// in the same directory (".{name}.{random}.tmp"), are flushed to disk and then renamed over the target, so a reader
/// sees the old content or the new. Names whose last segment has that temporary form are refused, so a temporary file
/// is never read as a blob.
/// </summary>
public sealed class FolderBlobStore(string root) : IBlobStore
{
    private readonly string rootPath = FullRootPath(root);

    /// <summary>The folder holding the blobs, as a full path.</summary>
    public string Root => rootPath;

    /// <inheritdoc/>
    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancel)
    {
        string path = PathOfBlob(name);
        return AtomicFile.WriteAsync(path, (stream, c) => stream.WriteAsync(content, c).AsTask(), cancel);
    }

    /// <inheritdoc/>
    public Task UploadFileAsync(string name, string path, CancellationToken cancel)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = PathOfBlob(name);
        return AtomicFile.WriteAsync(target, async (stream, c) =>
        {
            await using var source = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 81920, useAsync: true);
            await source.CopyToAsync(stream, c);
        }, cancel);
    }

    /// <inheritdoc/>
    public Task<byte[]?> ReadAsync(string name, CancellationToken cancel)
    {
        string path = PathOfBlob(name);

        // A folder of that name is not a blob (opening it would fail with an access error rather than "not found").
        return File.Exists(path) ? AtomicFile.ReadAllBytesOrNullAsync(path, cancel) : Task.FromResult<byte[]?>(null);
    }

    /// <inheritdoc/>
    public Task<Stream?> OpenReadAsync(string name, CancellationToken cancel)
    {
        string path = PathOfBlob(name);
        if (!File.Exists(path))
        {
            return Task.FromResult<Stream?>(null);
        }

        try
        {
            // FileShare.Delete: a writer may rename a new version over this one, or delete it, while a client is still
            // streaming the old one (on Linux the open file lives on until closed).
            Stream stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 81920, useAsync: true);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc/>
    public Task<long?> LengthAsync(string name, CancellationToken cancel)
    {
        var file = new FileInfo(PathOfBlob(name));
        return Task.FromResult<long?>(file.Exists ? file.Length : null);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string name, CancellationToken cancel)
    {
        string path = PathOfBlob(name);
        try
        {
            File.Delete(path); // no error when the file is missing
        }
        catch (DirectoryNotFoundException)
        {
            // Its folder is missing too: nothing to delete.
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteFolderAsync(string prefix, CancellationToken cancel)
    {
        string directory = PathUnderRoot(prefix, "blob folder prefix");
        try
        {
            // A blob named exactly like the prefix is a file, not a folder, and stays: only "{prefix}/..." goes.
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed meanwhile by someone else: the outcome is the one asked for.
        }

        return Task.CompletedTask;
    }

    private string PathOfBlob(string name)
    {
        string path = PathUnderRoot(name, "blob name");
        if (AtomicFile.IsTemporaryFileName(Path.GetFileName(path)))
        {
            throw new ArgumentException(
                $"The blob name {BlobNames.Show(name)} is refused: a last segment starting with '.' and ending with \".tmp\" "
                + "is reserved for the temporary files of writes in progress; choose another name.",
                nameof(name));
        }

        return path;
    }

    private string PathUnderRoot(string name, string what)
    {
        BlobNames.Check(name, what);
        string path = Path.GetFullPath(Path.Combine(rootPath, name.Replace('/', Path.DirectorySeparatorChar)));

        // The name rule already excludes "..", rooted paths and separators other than '/'; this catches anything the
        // rule or the platform's path handling might have missed.
        string rootWithSeparator = Path.EndsInDirectorySeparator(rootPath) ? rootPath : rootPath + Path.DirectorySeparatorChar;
        if (!path.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The {what} {BlobNames.Show(name)} is refused: it resolves to '{path}', outside the store's folder '{rootPath}'.",
                nameof(name));
        }

        return path;
    }

    private static string FullRootPath(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }
}
