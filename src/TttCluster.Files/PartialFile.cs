namespace TttCluster.Files;

/// <summary>
/// One output file being written under a temporary name (see <see cref="PartialFiles"/>):
/// <code>
/// using (var file = PartialFiles.Process.Create("latents.safetensors"))
/// {
///     file.Write(stream => stream.Write(bytes));   // an IO failure names latents.safetensors
///     file.Commit();   // flushed, then renamed over latents.safetensors
/// }                    // without Commit, Dispose deletes the temporary file
/// </code>
/// </summary>
public sealed class PartialFile : IDisposable
{
    private readonly PartialFiles _registry;
    private readonly FileStream? _stream;
    private bool _done;

    internal PartialFile(PartialFiles registry, string targetPath, string temporaryPath, FileStream? stream)
    {
        _registry = registry;
        TargetPath = targetPath;
        TemporaryPath = temporaryPath;
        _stream = stream;
    }

    /// <summary>The full path the file gets once committed.</summary>
    public string TargetPath { get; }

    /// <summary>Where the data goes until then: beside the target, ending in .tmp.</summary>
    public string TemporaryPath { get; }

    /// <summary>The open temporary file (only for files this process writes itself).</summary>
    public FileStream Stream => _stream ?? throw new InvalidOperationException($"{TemporaryPath} is written by another program");

    /// <summary>
    /// Closes the temporary file, flushes it to disk and renames it over <see cref="TargetPath"/>. A failure discards
    /// the temporary file and throws <see cref="OutputFileException"/> naming the target.
    /// </summary>
    public void Commit()
    {
        if (_done) throw new InvalidOperationException($"{TargetPath} is already committed or discarded");
        try
        {
            if (_stream is not null)
            {
                // Durable before the rename, so a crash cannot leave a complete-looking name over data still in the page cache.
                _stream.Flush(flushToDisk: true);
                _stream.Dispose();
            }
            _registry.Commit(this, flushedAlready: _stream is not null);
            _done = true;
        }
        catch (Exception e)
        {
            Discard();
            if (e is IOException or UnauthorizedAccessException && e is not OutputFileException) throw new OutputFileException(TargetPath, e);
            throw;
        }
    }

    /// <summary>Gives the write up: the temporary file is deleted and the target left as it was. Never throws.</summary>
    public void Discard()
    {
        if (_done) return;
        _done = true;
        try
        {
            // Closing flushes what is buffered, which fails again on a full disk: the file goes either way.
            _stream?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        finally
        {
            _registry.Discard(this);
        }
    }

    /// <summary>Runs <paramref name="write"/>; an IO failure in it becomes an <see cref="OutputFileException"/> naming the target.</summary>
    public void Write(Action<FileStream> write)
    {
        try
        {
            write(Stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not OutputFileException)
        {
            throw new OutputFileException(TargetPath, e);
        }
    }

    /// <summary>Without a <see cref="Commit"/>, discards.</summary>
    public void Dispose() => Discard();
}

/// <summary>An output file could not be written; the message names the file the user asked for, not its temporary name.</summary>
public sealed class OutputFileException(string targetPath, Exception inner)
    : IOException($"{targetPath}: {FileChecks.Reason(inner)}", inner)
{
    public string TargetPath { get; } = targetPath;
}
