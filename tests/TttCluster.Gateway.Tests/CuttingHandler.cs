namespace TttCluster.Gateway.Tests;

/// <summary>
/// The real transport (a <see cref="SocketsHttpHandler"/>) with one fault put in: the first events stream
/// (GET /v1/stories/{id}/events) is cut after <paramref name="cutAfterBytes"/> bytes, wherever that falls (mid-event
/// as likely as not). <paramref name="abort"/>: the connection is torn down and the read fails, as when a network drops;
/// otherwise the stream just ends early, as when a proxy closes it. Every events request's Last-Event-ID is recorded.
/// </summary>
internal sealed class CuttingHandler(int cutAfterBytes, bool abort) : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly List<string?> _lastEventIds = [];

    /// <summary>Runs before every events request after the first (a test holds the resumption back with it).</summary>
    public Func<Task>? BeforeResuming { get; init; }

    /// <summary>The Last-Event-ID header of each events request, in order (null: none).</summary>
    public IReadOnlyList<string?> EventsRequests
    {
        get { lock (_lastEventIds) return _lastEventIds.ToArray(); }
    }

    /// <summary>True once the first events stream was cut.</summary>
    public bool HasCut => _cut?.HasCut == true;

    private CutStream? _cut;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        if (!request.RequestUri!.AbsolutePath.EndsWith("/events")) return await base.SendAsync(request, cancel);
        int number;
        lock (_lastEventIds)
        {
            number = _lastEventIds.Count;
            _lastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null);
        }
        if (number > 0 && BeforeResuming is not null) await BeforeResuming();
        var response = await base.SendAsync(request, cancel);
        if (number > 0 || !response.IsSuccessStatusCode) return response;
        // The body as the client will read it: the farm's bytes up to the cut, then the fault.
        var original = response.Content;
        _cut = new CutStream(await original.ReadAsStreamAsync(cancel), cutAfterBytes, abort);
        var content = new StreamContent(_cut);
        foreach (var header in original.Headers) content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = content;
        return response;
    }

    private sealed class CutStream(Stream inner, int cutAfterBytes, bool abort) : Stream
    {
        private int _left = cutAfterBytes;
        public bool HasCut { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default)
        {
            if (_left == 0) return Cut();
            int read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _left)], cancel);
            _left -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) =>
            ReadAsync(buffer.AsMemory(offset, count), cancel).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        private int Cut()
        {
            // Disposing the unfinished response body closes its connection: the farm sees the client go.
            inner.Dispose();
            HasCut = true;
            return abort ? throw new IOException("the test cut the connection") : 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
