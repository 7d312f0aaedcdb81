using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace TttCluster.Storage;

/// <summary>
/// Orleans grain storage keeping each grain state as a JSON file <c>{folder}/{state name}/{grain type}/{grain key}.json</c>
/// holding <c>{"version": n, "grain": "...", "state": ...}</c>. The ETag is the version; a write or clear whose ETag is not
/// the stored version fails with <see cref="InconsistentStateException"/>. Files are replaced atomically (temporary file,
/// flush to disk, rename), so they survive a crash or restart and a new process reads them.
/// </summary>
public sealed class FolderGrainStorage : IGrainStorage
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    // Another process holding the lock this long is stuck or dead-locked; better to fail the grain call than hang it.
    private static readonly TimeSpan LockFileTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LockFileRetryDelay = TimeSpan.FromMilliseconds(10);

    // Names made only of these stay as they are; anything else is encoded (see FileNameOf).
    private const int LongestPlainName = 100;
    private const int LongestReadablePart = 32;
    private const int LongestHexEncodedName = 100; // bytes; longer names are hashed to keep file names under 255 bytes

    // Serialises writers of one file inside this process so the read-compare-write below is one step. A fixed set of
    // semaphores picked by hash, rather than one per file, keeps memory bounded however many grains there are; two
    // files sharing a semaphore only wait for each other now and then.
    private readonly SemaphoreSlim[] writeGates = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    private readonly IActivatorProvider? activators;

    /// <summary>
    /// Keeps grain states under <paramref name="folder"/>, created when first written. <paramref name="activators"/>
    /// (the silo's, when registered through <see cref="FolderGrainStorageExtensions"/>) makes the empty state of a grain
    /// without saved state the way Orleans makes it; without it, the state type's parameterless constructor does.
    /// </summary>
    public FolderGrainStorage(string folder, IActivatorProvider? activators = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
        this.activators = activators;
    }

    /// <summary>The folder holding the state files, as a full path.</summary>
    public string Folder { get; }

    /// <summary>The file holding the state <paramref name="stateName"/> of grain <paramref name="grainId"/>.</summary>
    public string FileOf(string stateName, GrainId grainId) => Path.Combine(
        Folder,
        FileNameOf(Encoding.UTF8.GetBytes(stateName)),
        FileNameOf(grainId.Type.AsSpan()),
        FileNameOf(grainId.Key.AsSpan()) + ".json");

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <summary>Loads the state; without a file, an empty state, ETag null and RecordExists false.</summary>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        // No lock: files are only ever replaced whole by rename, so a reader sees one complete version.
        StateFile<T>? file = await ReadFileAsync<T>(FileOf(stateName, grainId), cancellationToken);
        if (file is null)
        {
            grainState.State = EmptyState<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = file.State ?? EmptyState<T>();
        grainState.ETag = ETagOf(file.Version);
        grainState.RecordExists = true;
    }

    /// <inheritdoc/>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        string path = FileOf(stateName, grainId);
        await WhileFileLockedAsync(path, async () =>
        {
            long? storedVersion = await ReadStoredVersionAsync(path, cancellationToken);
            CheckETag(path, storedVersion, grainState.ETag, "write");

            var file = new StateFile<T> { Version = (storedVersion ?? 0) + 1, Grain = grainId.ToString(), State = grainState.State };
            await AtomicFile.WriteAsync(path, (stream, cancel) => JsonSerializer.SerializeAsync(stream, file, Json, cancel), cancellationToken);

            grainState.ETag = ETagOf(file.Version);
            grainState.RecordExists = true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        string path = FileOf(stateName, grainId);
        await WhileFileLockedAsync(path, async () =>
        {
            long? storedVersion = await ReadStoredVersionAsync(path, cancellationToken);
            CheckETag(path, storedVersion, grainState.ETag, "clear");

            // Versions restart at 1 after a clear. A caller still holding an ETag from before the clear could then match
            // a new file's version; with Orleans' single activation per grain that caller does not exist in practice.
            File.Delete(path);

            // Orleans 10.4.2's state bridge leaves the grain's copy as it was after a clear; reset it here so that the
            // grain sees what a new activation would read.
            grainState.State = EmptyState<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }, cancellationToken);
    }

    private T EmptyState<T>() => activators is null ? Activator.CreateInstance<T>() : activators.GetActivator<T>().Create();

    private static string ETagOf(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static void CheckETag(string path, long? storedVersion, string? callerETag, string operation)
    {
        string? storedETag = storedVersion is { } version ? ETagOf(version) : null;
        if (!string.Equals(storedETag, callerETag, StringComparison.Ordinal))
        {
            throw new InconsistentStateException(
                $"Cannot {operation} grain state file '{path}': it is at "
                + (storedETag is null ? "no version (no file)" : $"version {storedETag}")
                + " but the caller read " + (callerETag is null ? "no file" : $"version {callerETag}")
                + "; another writer changed it since.",
                storedETag,
                callerETag);
        }
    }

    private static async Task<long?> ReadStoredVersionAsync(string path, CancellationToken cancel) =>
        (await ReadFileAsync<JsonElement>(path, cancel))?.Version;

    private static async Task<StateFile<T>?> ReadFileAsync<T>(string path, CancellationToken cancel)
    {
        byte[]? bytes = await AtomicFile.ReadAllBytesOrNullAsync(path, cancel);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            StateFile<T> file = JsonSerializer.Deserialize<StateFile<T>>(bytes, Json)
                ?? throw new JsonException("The file holds JSON null.");
            if (file.Version < 1)
            {
                throw new JsonException($"The version is {file.Version}; versions start at 1.");
            }

            return file;
        }
        catch (JsonException e)
        {
            // Name the file: a bare JsonException says neither which grain nor where to look.
            throw new InvalidDataException(
                $"The grain state file '{path}' is not a readable state file "
                + $"(expected JSON {{\"version\": n, \"state\": {StateDescription<T>()}}}): {e.Message}",
                e);
        }
    }

    private static string StateDescription<T>() => typeof(T) == typeof(JsonElement) ? "..." : typeof(T).Name;

    /// <summary>
    /// Runs <paramref name="action"/> while no other writer, in this process or another, works on <paramref name="path"/>.
    /// Across processes the guard is the file "{path}.lock" opened with FileShare.None (an exclusive flock on Unix, a
    /// sharing lock on Windows); the lock goes away when the handle closes, also when the process dies. The lock file
    /// is never deleted: deleting it would let a late opener lock the old file while another locks a new one.
    /// (.NET skips these locks on Unix when DOTNET_SYSTEM_IO_DISABLEFILELOCKING is set; then only one process may write.)
    /// </summary>
    private async Task WhileFileLockedAsync(string path, Func<Task> action, CancellationToken cancel)
    {
        SemaphoreSlim gate = writeGates[(StringComparer.Ordinal.GetHashCode(path) & int.MaxValue) % writeGates.Length];
        await gate.WaitAsync(cancel);
        try
        {
            await using FileStream lockFile = await OpenLockFileAsync(path + ".lock", cancel);
            await action();
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<FileStream> OpenLockFileAsync(string lockPath, CancellationToken cancel)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        DateTime giveUpAt = DateTime.UtcNow + LockFileTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
            {
                // Held by another process (opening fails at once rather than waiting): try again shortly.
                if (DateTime.UtcNow >= giveUpAt)
                {
                    throw new TimeoutException(
                        $"The grain state lock file '{lockPath}' stayed locked by another process for {LockFileTimeout.TotalSeconds} s.", e);
                }

                await Task.Delay(LockFileRetryDelay, cancel);
            }
        }
    }

    /// <summary>
    /// A file name for an identifier (state name, grain type or key, as UTF-8 bytes) that is safe on any file system and
    /// unique per identifier. Lower-case letters, digits, '_' and '-' (up to 100) stay as they are; anything else becomes
    /// "{readable part}.k{hex of the bytes}", or "{readable part}.h{hex of their SHA-256}" when long. The '.' appears
    /// only in encoded names, and the part after the last '.' decides the identifier, so two identifiers never share a
    /// name; upper case is encoded too, so names differing only in case stay apart on case-insensitive file systems.
    /// </summary>
    internal static string FileNameOf(ReadOnlySpan<byte> utf8)
    {
        bool plain = utf8.Length is > 0 and <= LongestPlainName;
        foreach (byte b in utf8)
        {
            plain &= b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'-';
        }

        if (plain)
        {
            return Encoding.ASCII.GetString(utf8);
        }

        var name = new StringBuilder();
        foreach (char c in Encoding.UTF8.GetString(utf8))
        {
            if (name.Length == LongestReadablePart)
            {
                break;
            }

            name.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        }

        if (name.Length == 0)
        {
            name.Append('_'); // the empty identifier: no hidden ".k.json" file
        }

        name.Append(utf8.Length <= LongestHexEncodedName ? ".k" : ".h");
        name.Append(Convert.ToHexStringLower(utf8.Length <= LongestHexEncodedName ? utf8 : SHA256.HashData(utf8)));
        return name.ToString();
    }

    /// <summary>What a state file holds.</summary>
    private sealed class StateFile<T>
    {
        [JsonRequired]
        public long Version { get; set; }

        /// <summary>The grain id, for people looking at the folder; not used when reading.</summary>
        public string? Grain { get; set; }

        public T? State { get; set; }
    }
}
