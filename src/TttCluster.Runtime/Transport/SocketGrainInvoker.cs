using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// Grain calls to silos in other processes, over one <see cref="FrameConnection"/> per silo (opened on first use,
/// reopened after it breaks). Many calls share a connection; each frame names its call. Every call has a deadline;
/// when it passes (or the caller cancels) a cancel frame tells the silo. Failures name the call and the silo.
/// </summary>
public sealed class SocketGrainInvoker(TimeSpan deadline) : IAsyncDisposable
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Lazy<Task<SiloConnection>>> _connections = new();
    private long _nextCallId;

    public async Task<TResult> InvokeAsync<TResult>(Uri silo, Type grainInterface, string key, MethodInfo method, object?[] args)
    {
        var shape = GrainMethod.Of(method);
        var callerToken = shape.TokenIn(args);
        string call = $"{grainInterface.Name}.{method.Name} on '{key}' at {silo}";
        var values = shape.WireValues(args);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        if (!shape.LongRunning) timeout.CancelAfter(deadline);   // a whole story: only the caller's token ends it
        long id = Interlocked.Increment(ref _nextCallId);
        SiloConnection? connection = null;
        try
        {
            connection = await Connect(silo, timeout.Token).ConfigureAwait(false);
            object?[] header = [grainInterface.Name, method.Name, key];
            using (var frame = FrameConnection.NewFrame(BinaryCodec.EstimateBytes(header) + BinaryCodec.EstimateBytes(values)))
            {
                BinaryCodec.SerializeInto(frame, header, FrameConnection.CallHeader);
                BinaryCodec.SerializeInto(frame, values, shape.WireTypes);
                if (shape.OneWay)
                {
                    await connection.SendOneWayAsync(id, frame, timeout.Token).ConfigureAwait(false);
                    return default!;
                }
                using var answer = await connection.CallAsync(id, frame, timeout.Token).ConfigureAwait(false);
                if (answer.Kind == FrameKind.Failure)
                    throw new GrainCallException($"{call} failed on the silo: {DescribeFailure(answer)}");
                if (!shape.ReturnsValue) return default!;
                try { return (TResult)BinaryCodec.Deserialize(answer.Body, [typeof(TResult)])[0]!; }
                catch (FormatException e) { throw new GrainCallException($"{call}: the silo's answer is malformed: {e.Message}", e); }
            }
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            if (connection is not null && !shape.OneWay) _ = connection.CancelAsync(id);   // a one-way call was never registered there
            if (callerToken.IsCancellationRequested) throw;
            throw new GrainCallException($"{call} missed its deadline of {deadline}", e);
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            throw new GrainCallException($"{call}: the silo is unreachable ({e.Message})", e);
        }
    }

    private static string DescribeFailure(Frame answer)
    {
        if (answer.Body.Length < 1) return "(no reason given)";
        var reason = (FailureReason)answer.Body[0];
        try { return $"{reason}: {(string?)BinaryCodec.Deserialize(answer.Body[1..], [typeof(string)])[0]}"; }
        catch (FormatException) { return $"{reason} (the message is malformed)"; }
    }

    /// <summary>The open connection to a silo, or a new one; a broken connection is dropped so the next call reconnects.</summary>
    private async Task<SiloConnection> Connect(Uri silo, CancellationToken cancel)
    {
        string endpoint = silo.Authority;
        while (true)
        {
            var lazy = _connections.GetOrAdd(endpoint, _ => new Lazy<Task<SiloConnection>>(() => SiloConnection.OpenAsync(silo)));
            SiloConnection connection;
            try { connection = await lazy.Value.WaitAsync(cancel).ConfigureAwait(false); }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancel.IsCancellationRequested)
            {
                _connections.TryRemove(new KeyValuePair<string, Lazy<Task<SiloConnection>>>(endpoint, lazy));
                throw new SocketException((int)SocketError.ConnectionRefused, $"cannot connect to {endpoint}: {e.Message}");
            }
            if (!connection.IsBroken) return connection;
            if (_connections.TryRemove(new KeyValuePair<string, Lazy<Task<SiloConnection>>>(endpoint, lazy)))
                _ = connection.DisposeAsync().AsTask();   // its socket and reader go now, not at finalisation
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _connections.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) await lazy.Value.Result.DisposeAsync();
        _connections.Clear();
    }

    /// <summary>One connection to one silo: calls in flight wait for their answer frames, which a reader loop hands out.</summary>
    private sealed class SiloConnection : IAsyncDisposable
    {
        private readonly FrameConnection _frames;
        private readonly ConcurrentDictionary<long, TaskCompletionSource<Frame>> _pending = new();
        private readonly CancellationTokenSource _closing = new();
        private readonly Task _reading;
        private volatile Exception? _broken;

        private SiloConnection(Socket socket)
        {
            _frames = new FrameConnection(socket);
            _reading = ReadLoop();
        }

        public bool IsBroken => _broken is not null;

        public static async Task<SiloConnection> OpenAsync(Uri silo)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);   // tuned by FrameConnection
            using var limit = new CancellationTokenSource(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(new DnsEndPoint(silo.Host, silo.Port), limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                socket.Dispose();
                throw new IOException($"no connection to {silo.Authority} within {ConnectTimeout.TotalSeconds:N0} s", e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            return new SiloConnection(socket);
        }

        public async Task<Frame> CallAsync(long id, FrameBuffer frame, CancellationToken cancel)
        {
            var answer = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = answer;
            try
            {
                if (_broken is { } broken) throw new IOException(broken.Message, broken);
                await _frames.SendAsync(FrameKind.Call, id, frame, cancel).ConfigureAwait(false);
                return await answer.Task.WaitAsync(cancel).ConfigureAwait(false);
            }
            catch
            {
                // Given up: an answer that came anyway goes back to the pool; one still to come is disposed by the reader
                // (its TrySetResult fails once this is cancelled).
                if (!answer.TrySetCanceled() && answer.Task.IsCompletedSuccessfully) answer.Task.Result.Dispose();
                throw;
            }
            finally
            {
                _pending.TryRemove(id, out _);
            }
        }

        public Task SendOneWayAsync(long id, FrameBuffer frame, CancellationToken cancel)
        {
            if (_broken is { } broken) throw new IOException(broken.Message, broken);
            return _frames.SendAsync(FrameKind.OneWayCall, id, frame, cancel);
        }

        public async Task CancelAsync(long id)
        {
            try { await _frames.SendEmptyAsync(FrameKind.Cancel, id).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        }

        private async Task ReadLoop()
        {
            await Task.Yield();
            try
            {
                while (await _frames.ReceiveAsync(_closing.Token).ConfigureAwait(false) is { } frame)
                {
                    if (frame.Kind is not (FrameKind.Result or FrameKind.Failure))
                        throw new InvalidDataException($"grain connection: a silo sent a {frame.Kind} frame; expected Result or Failure");
                    if (!_pending.TryRemove(frame.Id, out var waiting) || !waiting.TrySetResult(frame)) frame.Dispose();
                }
                _broken = new IOException("the silo closed the connection");
            }
            catch (Exception e)
            {
                _broken = e is OperationCanceledException ? new IOException("the connection was closed") : e;
            }
            foreach (var id in _pending.Keys)
                if (_pending.TryRemove(id, out var waiting)) waiting.TrySetException(new IOException(_broken.Message, _broken));
            _frames.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            _closing.Cancel();
            _frames.Dispose();
            await _reading.ConfigureAwait(false);
        }
    }
}
