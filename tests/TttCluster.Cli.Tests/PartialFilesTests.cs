using TttCluster.Files;

namespace TttCluster.Cli.Tests;

/// <summary>The registry behind "nothing half-written remains": what quitting at once does to files being written.</summary>
public sealed class PartialFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-partial-").FullName;
    private readonly PartialFiles _files = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Commit_RenamesTheWholeFileIntoPlace()
    {
        string target = Path.Combine(_dir, "a.bin");
        using (var file = _files.Create(target))
        {
            file.Stream.Write([1, 2, 3]);
            Assert.False(File.Exists(target));
            Assert.True(File.Exists(file.TemporaryPath));
            file.Commit();
        }
        Assert.Equal([1, 2, 3], File.ReadAllBytes(target));
        Assert.Equal(0, _files.Count);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void AbandonAll_DeletesFilesMidWrite_AndRefusesTheirRename()
    {
        string target = Path.Combine(_dir, "b.bin");
        var file = _files.Create(target);
        file.Stream.Write(new byte[4096]);

        Assert.Equal(1, _files.AbandonAll());

        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Throws<ProcessQuittingException>(file.Commit);
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Throws<ProcessQuittingException>(() => _files.Create(Path.Combine(_dir, "c.bin")));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void AbandonAll_StopsAnotherProgramsWriterBeforeDeletingItsFile()
    {
        string target = Path.Combine(_dir, "video.mp4");
        var events = new List<string>();
        string? temporary = null;
        _files.Reserve(target, path =>
        {
            temporary = path;
            File.WriteAllBytes(path, [9]);   // what the other program has written so far
            return () => events.Add(File.Exists(path) ? "stopped while its file existed" : "stopped after its file was gone");
        });

        _files.AbandonAll();

        Assert.Equal(["stopped while its file existed"], events);
        Assert.False(File.Exists(temporary));
        Assert.Throws<ProcessQuittingException>(() => _files.Reserve(Path.Combine(_dir, "late.mp4"), _ => () => { }));
    }

    [Fact]
    public void Discard_LeavesTheTargetAsItWas()
    {
        string target = Path.Combine(_dir, "d.bin");
        File.WriteAllBytes(target, [7]);
        using (var file = _files.Create(target))
            file.Stream.Write([1, 2]);   // no Commit: Dispose discards
        Assert.Equal([7], File.ReadAllBytes(target));
        Assert.Single(Directory.GetFiles(_dir));
    }

    /// <summary>A write that fails (a full disk) leaves no temporary file, even when closing the file fails again.</summary>
    [Fact]
    public void AFailedWrite_LeavesNothingAndNamesTheTarget()
    {
        string target = Path.Combine(_dir, "e.bin");
        var e = Assert.Throws<OutputFileException>(() =>
        {
            using var file = _files.Create(target);
            file.Write(_ => throw new IOException("No space left on device", 28));
        });
        Assert.Equal($"{target}: no space left on the device", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Equal(0, _files.Count);
    }
}
