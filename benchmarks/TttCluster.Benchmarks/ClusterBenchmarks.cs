using System.Diagnostics;
using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Model.Plan;
using TttCluster.Model.Sampling;
using TttCluster.Model.Ttt;
using TttCluster.Rendering;

namespace TttCluster.Benchmarks;

/// <summary>
/// What distribution costs and what the schedule leaves idle: the Tiny one-minute story on the local executor, on 3
/// in-process silos and on 3 silo processes; the scan hand-off of a CogVideoX5B-sized state between two processes;
/// silo utilisation with 1 and 3 concurrent stories; and the critical path of the recorded schedule.
/// </summary>
public static class ClusterBenchmarks
{
    private static string ModelPath => Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");

    public static async Task Run(BenchmarkResults r, bool quick)
    {
        var model = ModelBundle.Load(ModelPath);
        int steps = quick ? 2 : 4;
        StoryJob Job(string id, int scenes, ulong seed, out RenderRequest request)
        {
            request = new RenderRequest(Enumerable.Range(0, scenes).Select(k => new SceneText($"Scene {k}: the chase continues through room {k}.")).ToArray(),
                seed, new SamplerSettings(steps, 4.0, 1.0));
            return new LatentSampler(model).CreateJob(id, request);
        }

        // Overhead: each configuration runs once to warm up (JIT, silo start), then they take turns, round after round,
        // so that drift of this shared machine hits all alike; the median round of each counts. One silo process shows
        // what the wire and a coordinator in another process cost; three show what three processes sharing the cores add.
        var job = Job("overhead", 20, 1, out var request);
        var sampler = new LatentSampler(model);
        await using var inProcess = await InProcessSilos.StartAsync(model, 3, CancellationToken.None);
        var oneProcess = await ProcessCluster.StartAsync(model, ModelPath, 1, CancellationToken.None);
        var threeProcesses = await ProcessCluster.StartAsync(model, ModelPath, 3, CancellationToken.None);
        Func<string, Task> Render(IGrainFactory grains) => id => ClusterRender.RenderAsync(grains, job with { StoryId = id }, null, CancellationToken.None);
        // The local executor first: the figures below are against it.
        var configurations = new Configuration[]
        {
            new("local_executor", _ => { sampler.Sample(request, null, null, CancellationToken.None); return Task.CompletedTask; }),
            new("3_inprocess_silos", Render(inProcess.Grains)),
            new("1_silo_process", Render(oneProcess.Grains)),
            new("3_silo_processes", Render(threeProcesses.Grains)),
        };
        foreach (var c in configurations) await c.Render("warm");
        for (int round = 0; round < (quick ? 1 : 9); round++)
            foreach (var c in configurations) await c.Measure($"timed-{round}");
        await oneProcess.DisposeAsync();
        await threeProcesses.DisposeAsync();
        var local = configurations[0];
        double OverheadPct(Configuration c) => 100 * (c.MedianSeconds / local.MedianSeconds - 1);
        r.Add("cluster_local_executor_seconds", local.MedianSeconds, "s", $"Tiny, 20 segments, {steps} steps");
        r.Add("cluster_3_inprocess_silos_overhead_pct", OverheadPct(configurations[1]), "%", $"{configurations[1].MedianSeconds:N2} s (target ≤ 3%)");
        r.Add("cluster_1_silo_process_overhead_pct", OverheadPct(configurations[2]), "%", $"{configurations[2].MedianSeconds:N2} s: the wire and a coordinator in another process");
        r.Add("cluster_3_silo_processes_overhead_pct", OverheadPct(configurations[3]), "%", $"{configurations[3].MedianSeconds:N2} s (target ≤ 15%; {Environment.ProcessorCount} cores shared by 3 silo processes and the coordinator)");
        CpuAccount(r, configurations);

        await HandOff(r, model, quick);
        await RedoAfterKill(r, model, Job, quick);
        await Utilisation(r, model, Job);
    }

    /// <summary>One way to render the overhead story (<paramref name="key"/> names its figures): its timed renders and
    /// the machine's CPU account over them.</summary>
    private sealed class Configuration(string key, Func<string, Task> render)
    {
        public string Key => key;
        public Func<string, Task> Render => render;
        private readonly List<double> _seconds = [];
        public MachineCpu? Cpu { get; private set; } = new MachineCpu();

        public double MedianSeconds => Median(_seconds);
        public int Renders => _seconds.Count;

        public async Task Measure(string id)
        {
            var before = MachineCpu.Read();
            _seconds.Add(await Time(() => render(id)));
            Cpu = MachineCpu.Read() - before + Cpu;   // null from here on where the machine keeps no account
        }
    }

    /// <summary>
    /// Where the processes' overhead goes: CPU time per render against the local executor's, the cores' idle share, and
    /// context switches per render. More busy time with no more idle time means the extra is work the machine did
    /// (thread-pool workers spinning and yielding, switches, copies), not time spent waiting on the wire.
    /// </summary>
    private static void CpuAccount(BenchmarkResults r, Configuration[] configurations)
    {
        if (configurations.Any(c => c.Cpu is null)) return;   // no /proc/stat
        var local = configurations[0];
        double BusyPerRender(Configuration c) => c.Cpu!.Value.BusySeconds / c.Renders;
        double SwitchesPerRender(Configuration c) => c.Cpu!.Value.ContextSwitches / (double)c.Renders;
        r.Add("cluster_local_executor_cpu_seconds", BusyPerRender(local), "s",
            $"core-seconds a render, {100 * local.Cpu!.Value.IdleShare:N0}% of the cores idle, {SwitchesPerRender(local):N0} context switches");
        foreach (var c in configurations.Skip(1))
            r.Add($"cluster_{c.Key}_cpu_over_local_pct", 100 * (BusyPerRender(c) / BusyPerRender(local) - 1), "%",
                $"{BusyPerRender(c):N3} core-seconds a render, {100 * c.Cpu!.Value.IdleShare:N0}% of the cores idle, {SwitchesPerRender(c):N0} context switches");
    }

    /// <summary>
    /// A 48-head × 33,088-float state (6.35 MB) pushed to a segment grain in another process, as a silo pushes it to the
    /// next; timed until the receiving segment has it (its arrival signalled), not just until it is sent. The same bytes
    /// over a raw loopback TCP socket (sent, and a one-byte answer back) are the baseline, measured in the same run.
    /// </summary>
    private static async Task HandOff(BenchmarkResults r, ModelBundle model, bool quick)
    {
        var big = ModelConfig.CogVideoX5B();
        int hid = 4 * big.HeadDim;
        byte[] state = ScanState.Initial(1, big.Heads, big.HeadDim, new float[big.Heads * big.HeadDim * hid], new float[big.Heads * hid],
            new float[big.Heads * hid * big.HeadDim], new float[big.Heads * big.HeadDim]).ToBytes();
        int samples = quick ? 20 : 200;
        await using var cluster = await ProcessCluster.StartAsync(model, ModelPath, 2, CancellationToken.None);
        // Segment 1 of 2, on silo-1: it waits for a forward state. Each push goes to a layer of its own, so each arrival is new.
        var grain = cluster.Grains.GetGrain<ISegmentGrain>(SegmentKeys.Of("handoff", 1, "0", "silo-1"));
        await grain.InitializeAsync(new SegmentSetup("handoff", 1, 2, FloatBlock.Empty, FloatBlock.Empty, FloatBlock.Empty, "0", ["silo-0", "silo-1"]), CancellationToken.None);
        var payload = new Orleans.Concurrency.Immutable<byte[]>(state);
        async Task Push(int key)
        {
            await grain.ReceiveScanStateAsync(key, reverse: false, group: 0, payload);
            await grain.WhenArrivedAsync(key, SegmentInput.ForwardState, 0, CancellationToken.None);
        }
        for (int i = 0; i < 5; i++) await Push(i);
        var grainTimes = new List<double>();
        for (int i = 0; i < samples; i++)
        {
            int key = 5 + i;
            grainTimes.Add(await Time(() => Push(key)) * 1000);
        }
        var rawTimes = await RawTcp(state, samples);
        double median = Median(grainTimes), rawMedian = Median(rawTimes);
        r.Add("handoff_6_35mb_median_ms", median, "ms", $"{state.Length / 1e6:N2} MB as Immutable<byte[]> between two silo processes on loopback, until the receiver has it");
        r.Add("handoff_6_35mb_p99_ms", Percentile(grainTimes, 0.99), "ms");
        r.Add("handoff_raw_tcp_median_ms", rawMedian, "ms", $"the same bytes over a raw loopback TCP socket, p99 {Percentile(rawTimes, 0.99):N2} ms");
        r.Add("handoff_over_raw_tcp", median / rawMedian, "x", "target ≤ 1.5x");
        r.Add("handoff_6_35mb_gb_per_s", state.Length / (median / 1000) / 1e9, "GB/s");
    }

    /// <summary>Milliseconds to send <paramref name="bytes"/> over a loopback TCP connection and get a one-byte answer, <paramref name="samples"/> times.</summary>
    private static async Task<List<double>> RawTcp(byte[] bytes, int samples)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var client = new System.Net.Sockets.TcpClient { NoDelay = true };
        await client.ConnectAsync(System.Net.IPAddress.Loopback, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        server.NoDelay = true;
        var receiving = new byte[bytes.Length];
        var sender = client.GetStream();
        var receiver = server.GetStream();
        async Task Once()
        {
            var received = Task.Run(async () =>
            {
                await receiver.ReadExactlyAsync(receiving);
                await receiver.WriteAsync(new byte[1]);
            });
            await sender.WriteAsync(bytes);
            await sender.ReadExactlyAsync(new byte[1]);
            await received;
        }
        for (int i = 0; i < 5; i++) await Once();
        var times = new List<double>();
        for (int i = 0; i < samples; i++) times.Add(await Time(Once) * 1000);
        return times;
    }

    /// <summary>
    /// Seconds from SIGKILL of a silo process mid-render to the coordinator starting the step's redo on the survivors:
    /// Orleans' failure detection (tuned probes) plus the coordinator noticing. Median of 5 kills (1 in quick mode); a new
    /// silo process joins after each, so every kill finds two.
    /// </summary>
    private static async Task RedoAfterKill(BenchmarkResults r, ModelBundle model, JobFactory job, bool quick)
    {
        await using var cluster = await ProcessCluster.StartAsync(model, ModelPath, 2, CancellationToken.None);
        var delays = new List<double>();
        for (int trial = 0; trial < (quick ? 1 : 5); trial++)
        {
            // Long enough never to finish: it is stopped once the redo has begun.
            var story = job($"redo-{trial}", 6, (ulong)trial, out _) with { Steps = 1000 };
            using var stop = new CancellationTokenSource();
            long killedAt = 0, redoAt = 0;
            int victim = trial;   // silo processes in start order: the two oldest alive are this trial's and the next one's
            var progress = new Progress(p =>
            {
                if (p.Step == 1 && Interlocked.CompareExchange(ref killedAt, Stopwatch.GetTimestamp(), 0) == 0) cluster.Kill(victim);
                if (p.Phase.StartsWith("silo failure", StringComparison.Ordinal) && Interlocked.CompareExchange(ref redoAt, Stopwatch.GetTimestamp(), 0) == 0) stop.Cancel();
            });
            try { await ClusterRender.RenderAsync(cluster.Grains, story, progress, stop.Token); }
            catch (StoryCancelledException) { }
            if (redoAt == 0) throw new InvalidOperationException($"redo benchmark: the story ended without a redo after silo {victim} was killed");
            delays.Add(Stopwatch.GetElapsedTime(killedAt, redoAt).TotalSeconds);
            await cluster.AddSiloAsync(CancellationToken.None);
        }
        r.Add("sigkill_to_redo_median_s", Median(delays), "s",
            $"silo process killed mid-render until the coordinator redoes the step on the survivor, median of {delays.Count} (all: {string.Join(", ", delays.Select(d => d.ToString("N2")))})");
    }

    /// <summary>Progress on the reporting thread (an observer call), without a synchronisation context.</summary>
    private sealed class Progress(Action<SegmentProgress> report) : IProgress<SegmentProgress>
    {
        public void Report(SegmentProgress value) => report(value);
    }

    private delegate StoryJob JobFactory(string id, int scenes, ulong seed, out RenderRequest request);

    /// <summary>Share of silo time spent computing (union of each silo's segment compute calls over 3 silos × wall time),
    /// and the makespan the recorded schedule would have with one dedicated machine per silo.</summary>
    private static async Task Utilisation(BenchmarkResults r, ModelBundle model, JobFactory job)
    {
        foreach (int stories in new[] { 1, 3 })
        {
            await using var cluster = await InProcessSilos.StartAsync(model, 3, CancellationToken.None);
            await ClusterRender.RenderAsync(cluster.Grains, job("warm", 20, 9, out _), null, CancellationToken.None);
            var recorders = Enumerable.Range(0, cluster.Count).Select(cluster.RecorderOf).ToArray();
            foreach (var recorder in recorders) recorder.Recording = true;
            var jobs = Enumerable.Range(0, stories).Select(i => job($"story-{i}", 20, (ulong)i, out _)).ToArray();
            double wall = await Time(() => Task.WhenAll(jobs.Select(j => ClusterRender.RenderAsync(cluster.Grains, j, null, CancellationToken.None))));
            double busy = recorders.Sum(recorder => BusySeconds(recorder.Calls));
            r.Add($"cluster_utilisation_{stories}_stories_pct", 100 * busy / (3 * wall), "%", $"3 in-process silos, {stories} concurrent 20-segment stories, {wall:N2} s");
        }
        await CriticalPath(r, model, job);
    }

    private static double BusySeconds(IEnumerable<CallRecorder.Call> calls)
    {
        long busy = 0, end = long.MinValue;
        foreach (var c in calls.OrderBy(c => c.Start))
        {
            if (c.Start >= end) { busy += c.End - c.Start; end = c.End; }
            else if (c.End > end) { busy += c.End - end; end = c.End; }
        }
        return busy / (double)Stopwatch.Frequency;
    }

    /// <summary>
    /// The makespan of this schedule with one dedicated machine per silo, against the ideal (all work spread evenly over
    /// 3 silos). Each call's work is recorded in a real run on one silo that runs one call at a time (so a duration is
    /// the call's own work on the whole machine, not its share of cores other segments were using). The 20 segments are
    /// then placed on 3 silos as the coordinator would: a round of a parallel phase lasts as long as its busiest silo's
    /// segments take one after another; a scan is replayed cell by cell (segment, head group), each machine running one
    /// cell at a time as soon as that group's state has come from the segment before (<see cref="PipelinedScan"/>).
    /// </summary>
    private static async Task CriticalPath(BenchmarkResults r, ModelBundle model, JobFactory job)
    {
        const int segments = 20;
        await using var cluster = await InProcessSilos.StartAsync(model, 1, CancellationToken.None);
        var recorder = cluster.RecorderOf(0);
        recorder.OneCallAtATime = true;
        await ClusterRender.RenderAsync(cluster.Grains, job("warm", segments, 9, out _), null, CancellationToken.None);
        recorder.Recording = true;
        await ClusterRender.RenderAsync(cluster.Grains, job("measured", segments, 1, out _), null, CancellationToken.None);
        var calls = recorder.Calls.Where(c => c.Key.StartsWith("measured/", StringComparison.Ordinal)).ToArray();   // segment calls

        int[] placement = ContiguousPlacement.Assign(segments, [1, 1, 1]);
        // Keys are "measured/{segment}/{attempt}@{silo}".
        int SegmentOf(CallRecorder.Call c) => int.Parse(c.Key.Split('/')[1]);
        int SiloOf(CallRecorder.Call c) => placement[SegmentOf(c)];
        double Seconds(CallRecorder.Call c) => (c.End - c.Start) / (double)Stopwatch.Frequency;
        int groups = ScanGroups.For(model.Config).Count;
        var scanCalls = calls.Where(c => c.Method == nameof(ISegmentGrain.ScanAsync)).ToArray();
        double scanWork = scanCalls.Sum(Seconds);
        // A segment's scan calls in start order: G cells (its head groups) for each scan of the render, forward then reverse.
        var bySegment = scanCalls.GroupBy(SegmentOf).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Start).Select(Seconds).ToArray());
        int scans = bySegment[0].Length / groups;
        var layout = new SequenceLayout(model.Config, segments);
        double scan = Enumerable.Range(0, scans).Sum(turn =>
            PipelinedScan(layout, groups, new ScanDirection(Reverse: turn % 2 == 1), k => placement[k], (k, g) => bySegment[k][turn * groups + g]));
        double parallel = 0, parallelWork = 0;
        foreach (var method in calls.Where(c => c.Method != nameof(ISegmentGrain.ScanAsync)).GroupBy(c => c.Method))
        {
            // The i-th call of a method on a segment belongs to round i.
            var rounds = method.GroupBy(c => c.Key).SelectMany(g => g.OrderBy(c => c.Start).Select((c, i) => (Round: i, Call: c))).GroupBy(x => x.Round);
            parallel += rounds.Sum(round => round.GroupBy(x => SiloOf(x.Call)).Max(bySilo => bySilo.Sum(x => Seconds(x.Call))));
            parallelWork += method.Sum(Seconds);
        }
        double total = calls.Sum(Seconds), makespan = parallel + scan, ideal = total / 3;
        r.Add("critical_path_dedicated_makespan_s", makespan, "s",
            $"parallel phases {parallel:N3} s (evenly: {parallelWork / 3:N3} s) + scans {scan:N3} s ({100 * scan / makespan:N0}% of it; " +
            $"{scanWork:N3} s of scan work in {groups} head groups, pipelined over the silos)");
        r.Add("critical_path_ideal_s", ideal, "s", $"all {total:N3} s of work over 3 silos");
        r.Add("critical_path_over_ideal", makespan / ideal, "x", "the scans are the gap: each head group still walks the segments in order");
    }

    /// <summary>
    /// The makespan of one scan on dedicated machines: cell (k, g) (segment k, head group g) may start once cell
    /// (k − 1, g) has finished (k + 1 in reverse) and its machine is free; each machine runs one cell at a time, always
    /// the cell that can start first (the lower group on a tie), as the arrivals order them in a real run.
    /// </summary>
    private static double PipelinedScan(SequenceLayout layout, int groups, ScanDirection direction, Func<int, int> machineOf, Func<int, int, double> duration)
    {
        int segments = layout.Segments;
        var finished = new double[segments, groups];
        var done = new bool[segments, groups];
        var machineFree = new Dictionary<int, double>();
        int before(int k) => direction.Reverse ? k + 1 : k - 1;
        bool first(int k) => direction.IsFirstRun(layout, k);
        double makespan = 0;
        for (int scheduled = 0; scheduled < segments * groups; scheduled++)
        {
            (int K, int G, double Start) next = (-1, -1, double.MaxValue);
            for (int k = 0; k < segments; k++)
                for (int g = 0; g < groups; g++)
                {
                    if (done[k, g] || (!first(k) && !done[before(k), g])) continue;
                    double start = Math.Max(first(k) ? 0 : finished[before(k), g], machineFree.GetValueOrDefault(machineOf(k)));
                    if (start < next.Start || (start == next.Start && g < next.G)) next = (k, g, start);
                }
            double end = next.Start + duration(next.K, next.G);
            (finished[next.K, next.G], done[next.K, next.G], machineFree[machineOf(next.K)]) = (end, true, end);
            makespan = Math.Max(makespan, end);
        }
        return makespan;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double Percentile(List<double> values, double share) => values.Order().ElementAt(Math.Min(values.Count - 1, (int)(values.Count * share)));

    private static async Task<double> Time(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalSeconds;
    }
}
