namespace TttCluster.Files;

/// <summary>
/// Every output file of this process that is still being written, under its temporary name. A file appears under its
/// real name whole or not at all (write, flush, rename); what this registry adds is the other half of that promise
/// when the process is told to quit at once (a second Ctrl-C, SIGTERM): <see cref="AbandonAll"/> stops each writer
/// and deletes its temporary file, and from then on no file can be created or renamed into place, so nothing
/// half-written is left under any name.
/// </summary>
/// <remarks>
/// Creating a temporary file, renaming it into place and abandoning all of them take one lock, so abandoning never
/// races a rename or a file about to be created. The process's writers use <see cref="Process"/>; tests make their own.
/// </remarks>
public sealed class PartialFiles
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Action?> _open = new(StringComparer.Ordinal);
    private bool _abandoned;

    /// <summary>The registry every writer in this process uses.</summary>
    public static PartialFiles Process { get; } = new();

    /// <summary>Temporary files being written now.</summary>
    public int Count
    {
        get { lock (_gate) return _open.Count; }
    }

    /// <summary>
    /// Creates the temporary file for <paramref name="targetPath"/> (beside it, so the rename is atomic) and opens it
    /// for writing. Throws <see cref="ProcessQuittingException"/> once the process is quitting.
    /// </summary>
    public PartialFile Create(string targetPath)
    {
        string fullPath = Path.GetFullPath(targetPath);
        lock (_gate)
        {
            ThrowIfAbandoned(fullPath);
            string temporaryPath = TemporaryPathFor(fullPath);
            var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            _open.Add(temporaryPath, null);
            return new PartialFile(this, fullPath, temporaryPath, stream);
        }
    }

    /// <summary>
    /// Reserves a temporary path for <paramref name="targetPath"/> that another program writes (ffmpeg), and starts
    /// that program with <paramref name="startWriter"/>, which returns how to stop it. Both happen under the lock, so
    /// <see cref="AbandonAll"/> either finds the writer or runs before it starts.
    /// </summary>
    public PartialFile Reserve(string targetPath, Func<string, Action> startWriter)
    {
        string fullPath = Path.GetFullPath(targetPath);
        lock (_gate)
        {
            ThrowIfAbandoned(fullPath);
            string temporaryPath = TemporaryPathFor(fullPath);
            _open.Add(temporaryPath, startWriter(temporaryPath));
            return new PartialFile(this, fullPath, temporaryPath, stream: null);
        }
    }

    /// <summary>
    /// Quitting: stops every writer, deletes every temporary file and refuses all later creates and renames.
    /// Returns how many files were removed. Called from a signal handler, so it never throws.
    /// </summary>
    public int AbandonAll()
    {
        lock (_gate)
        {
            _abandoned = true;
            int removed = 0;
            foreach (var (temporaryPath, stopWriter) in _open)
            {
                try
                {
                    stopWriter?.Invoke();
                }
                catch (Exception)
                {
                    // Stopping a writer is best effort; the file is deleted either way.
                }
                if (TryDelete(temporaryPath)) removed++;
            }
            _open.Clear();
            return removed;
        }
    }

    /// <summary>
    /// Renames the temporary file over its target, after flushing it to disk unless its writer already did (a file
    /// another program wrote is opened again to flush it).
    /// </summary>
    internal void Commit(PartialFile file, bool flushedAlready)
    {
        lock (_gate)
        {
            ThrowIfAbandoned(file.TargetPath);
            // Durable before the rename, so a crash cannot leave a complete-looking name over data still in the page cache.
            if (!flushedAlready)
                using (var stream = new FileStream(file.TemporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                    stream.Flush(flushToDisk: true);
            File.Move(file.TemporaryPath, file.TargetPath, overwrite: true);
            _open.Remove(file.TemporaryPath);
        }
    }

    /// <summary>Deletes the temporary file of a write that failed or was given up; never throws.</summary>
    internal void Discard(PartialFile file)
    {
        lock (_gate)
        {
            TryDelete(file.TemporaryPath);
            _open.Remove(file.TemporaryPath);
        }
    }

    private void ThrowIfAbandoned(string targetPath)
    {
        if (_abandoned) throw new ProcessQuittingException($"{targetPath}: not written, the process is quitting");
    }

    /// <summary>A fresh temporary path beside <paramref name="fullPath"/>: same directory, so the rename is atomic.</summary>
    public static string TemporaryPathFor(string fullPath) => $"{fullPath}.{Guid.NewGuid():N}.tmp";

    private static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A write refused because the process is quitting (see <see cref="PartialFiles.AbandonAll"/>).</summary>
public sealed class ProcessQuittingException(string message) : OperationCanceledException(message);
