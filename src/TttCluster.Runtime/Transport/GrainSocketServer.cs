using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TttCluster.Abstractions;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// Serves grain calls to this process's silo over <see cref="FrameConnection"/>s: each call runs on its own task (a
/// connection carries many at once), answers go back on the connection they came from, a cancel frame cancels the
/// call's token. A malformed call gets a Failure frame naming what is wrong and the connection carries on; a broken
/// frame header ends that connection only. The silo and its other grains carry on either way.
/// </summary>
public sealed class GrainSocketServer(InProcessCluster local) : IAsyncDisposable
{
    /// <summary>Every grain interface by name, with its methods by name: what a call frame may name.</summary>
    private static readonly Dictionary<string, (Type Interface, Dictionary<string, GrainMethod> Methods)> Interfaces =
        typeof(IGrainWithStringKey).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IGrainWithStringKey).IsAssignableFrom(t) && t != typeof(IGrainWithStringKey))
            .ToDictionary(t => t.Name, t => (t, t.GetMethods().ToDictionary(m => m.Name, GrainMethod.Of)));

    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;

    /// <summary>Starts listening; returns where, as the directory names it: tcp://host:port/.</summary>
    /// <param name="advertise">The host others reach this server at; by default <see cref="DefaultAdvertise"/>.</param>
    public Uri Start(IPAddress address, int port, string? advertise = null)
    {
        _listener = new TcpListener(address, port);
        _listener.Start();
        var bound = (IPEndPoint)_listener.LocalEndpoint;
        advertise ??= DefaultAdvertise(bound.Address);
        _accepting = AcceptLoop(_listener, _stop.Token);
        return new UriBuilder("tcp", advertise, bound.Port, "/").Uri;
    }

    /// <summary>
    /// The host a server bound to <paramref name="bound"/> tells others to reach it at: that address itself, or this
    /// machine's host name when it listens on every address (0.0.0.0 or ::), which no peer can dial.
    /// </summary>
    public static string DefaultAdvertise(IPAddress bound) =>
        bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : bound.ToString();

    /// <summary>Connections served at once; more are closed at once (a peer opening sockets without end).</summary>
    public const int MaxConnections = 1024;

    private int _connections;

    private async Task AcceptLoop(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptSocketAsync(stop); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Interrupted)
            {
                continue;   // one peer that reset at once must not stop the others
            }
            catch (SocketException e)
            {
                // Out of file descriptors or similar: the pending connection stays queued and every accept fails at once,
                // so wait before the next try instead of spinning a core.
                Console.Error.WriteLine($"grain server: accepting a connection failed ({e.SocketErrorCode}: {e.Message}); retrying in 100 ms");
                try { await Task.Delay(100, stop); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            if (Interlocked.Increment(ref _connections) > MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                socket.Dispose();
                continue;
            }
            FrameConnection connection;
            try { connection = new FrameConnection(socket); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Interlocked.Decrement(ref _connections);
                socket.Dispose();
                continue;
            }
            _ = Serve(connection, stop);
        }
    }

    private async Task Serve(FrameConnection connection, CancellationToken stop)
    {
        var running = new ConcurrentDictionary<long, CancellationTokenSource>();
        try
        {
            while (await connection.ReceiveAsync(stop) is { } frame)
            {
                if (frame.Kind == FrameKind.Cancel)
                {
                    if (running.TryGetValue(frame.Id, out var call)) CancelQuietly(call);
                    frame.Dispose();
                }
                else if (frame.Kind == FrameKind.Call)
                {
                    var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    running[frame.Id] = cancel;
                    _ = Answer(connection, frame, cancel, running);
                }
                else if (frame.Kind == FrameKind.OneWayCall)
                {
                    _ = RunOneWay(frame, stop);
                }
                else
                {
                    frame.Dispose();
                    throw new InvalidDataException($"grain connection: a client sent a {frame.Kind} frame; expected Call, OneWayCall or Cancel");
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A broken or hostile peer: this connection ends, nothing else does.
            if (e is InvalidDataException) Console.Error.WriteLine($"grain server: closed a connection: {e.Message}");
        }
        finally
        {
            foreach (var call in running.Values) CancelQuietly(call);
            connection.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    // The call may have finished (and disposed its source) since it was looked up: then there is nothing to cancel.
    private static void CancelQuietly(CancellationTokenSource call)
    {
        try { call.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    private async Task Answer(FrameConnection connection, Frame call, CancellationTokenSource cancel, ConcurrentDictionary<long, CancellationTokenSource> running)
    {
        await Task.Yield();   // off the reading loop: the next frame is read while this call runs
        FrameBuffer? answer = null;
        var kind = FrameKind.Result;
        try
        {
            try
            {
                var (method, result) = await Invoke(call, cancel.Token);
                answer = Encode(method, result);
            }
            catch (GrainFrameException e)
            {
                kind = FrameKind.Failure;
                answer = Failure(e.Reason, e.Message);
            }
            catch (Exception e)
            {
                kind = FrameKind.Failure;
                answer = Failure(FailureReason.Failed, $"{e.GetType().Name}: {e.Message}");
            }
            finally
            {
                running.TryRemove(call.Id, out _);
                cancel.Dispose();
            }
            await connection.SendAsync(kind, call.Id, answer, CancellationToken.None);   // a stalled caller: FrameConnection.WriteTimeout
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The caller went away or stopped reading; nobody is waiting for the answer (the connection is closed).
        }
        finally
        {
            answer?.Dispose();
        }
    }

    /// <summary>Runs a call nobody waits for (no answer is built); a failure has no one to go back to, so it is written to stderr.</summary>
    private async Task RunOneWay(Frame call, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await Invoke(call, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            Console.Error.WriteLine($"grain server: a one-way call failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static FrameBuffer Failure(FailureReason reason, string message)
    {
        var frame = FrameConnection.NewFrame(message.Length * 4L + 8);
        frame.WriteByte((byte)reason);
        BinaryCodec.SerializeInto(frame, [message], [typeof(string)]);
        return frame;
    }

    /// <summary>
    /// Decodes a call and runs it on the local silo; the frame is disposed either way. The decoded arguments are copies,
    /// so the frame's pooled body goes back as soon as they are read, not when a long call (a 6 MB scan state's owner) finishes.
    /// </summary>
    private async Task<(GrainMethod Method, object? Result)> Invoke(Frame call, CancellationToken cancel)
    {
        (Type grainInterface, GrainMethod method, string key, object?[] args) decoded;
        try { decoded = Decode(call, cancel); }
        finally { call.Dispose(); }
        var (grainInterface, method, key, args) = decoded;
        var task = (Task)method.Invoker.Invoke(local, [grainInterface, key, method.Method, args])!;
        await task;
        return (method, method.ResultOf(task));
    }

    /// <summary>A call's answer frame: nothing for a plain Task, else the result.</summary>
    private static FrameBuffer Encode(GrainMethod method, object? result)
    {
        if (!method.ReturnsValue) return FrameConnection.NewFrame(0);
        var answer = FrameConnection.NewFrame(BinaryCodec.EstimateBytes([result]));   // sized once: results can be latents of MBs
        BinaryCodec.SerializeInto(answer, [result], [method.ResultType]);
        return answer;
    }

    /// <summary>Which grain, which method, which key, which arguments: every part checked (the caller is untrusted).</summary>
    private static (Type Interface, GrainMethod Method, string Key, object?[] Args) Decode(Frame call, CancellationToken cancel)
    {
        try
        {
            var header = BinaryCodec.DeserializePrefix(call.Body, FrameConnection.CallHeader, out int consumed);
            var (grain, methodName, key) = ((string?)header[0] ?? "", (string?)header[1] ?? "", (string?)header[2] ?? "");
            if (!Interfaces.TryGetValue(grain, out var grainInterface))
                throw new GrainFrameException(FailureReason.NotFound, $"no grain interface named '{grain}'");
            if (!grainInterface.Methods.TryGetValue(methodName, out var method))
                throw new GrainFrameException(FailureReason.NotFound, $"{grain} has no method '{methodName}'");
            if (key.Length == 0) throw new GrainFrameException(FailureReason.Malformed, $"{grain}.{methodName}: the grain key is empty");
            object?[] values;
            try { values = BinaryCodec.Deserialize(call.Body[consumed..], method.WireTypes); }
            catch (FormatException e) { throw new GrainFrameException(FailureReason.Malformed, $"{grain}.{methodName} on '{key}': malformed frame: {e.Message}"); }
            var args = new object?[method.ParameterCount];
            for (int i = 0; i < method.Wire.Length; i++) args[method.Wire[i].Position] = values[i];
            if (method.TokenIndex >= 0) args[method.TokenIndex] = cancel;
            return (grainInterface.Interface, method, key, args);
        }
        catch (FormatException e)
        {
            throw new GrainFrameException(FailureReason.Malformed, $"malformed frame: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Stop();
        await _accepting;
    }

    private sealed class GrainFrameException(FailureReason reason, string message) : Exception(message)
    {
        public FailureReason Reason { get; } = reason;
    }
}
