using Orleans.Concurrency;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Plan;
using TttCluster.Model.Sampling;
using TttCluster.Model.Ttt;

namespace TttCluster.Grains;

/// <summary>
/// One segment of one attempt at a story, on the silo its key names. Every method runs the same phase functions as the
/// local executor (src/TttCluster.Model/Plan) on this segment's rows only. Neighbours push to each other what the next
/// phase needs (the shared boundary frame, its attention output, the scan state, straddling scan outputs) into the
/// segment's inbox; each phase is reported as it starts. A push to a segment that was never initialised (a late one,
/// after its attempt was abandoned and it was released) is dropped.
/// </summary>
[OnNamedSiloPlacement]
public sealed class SegmentGrain(ModelBundle model, ProgressRelay progress, ScanGroups groups, SiloIdentity silo, SegmentCount count) : Grain, ISegmentGrain
{
    private const int Streams = 2;   // cond, uncond (classifier-free guidance as a batch of 2)
    private SegmentSetup? _setup;   // null until initialised
    private SequenceLayout _layout = null!;
    private StepContext _ctx = null!;
    private float[] _latents = [];
    private float[] _residual = [], _attnOut = [], _z = [];
    private TttInputs? _scanInputs;
    private int _groupsScanned;   // head groups of the current direction scanned here; the inputs go after the last
    private volatile SegmentInbox? _inbox;   // what neighbours pushed; null until initialised

    private SegmentSetup Setup => _setup ?? throw new InvalidOperationException($"segment {this.GetPrimaryKeyString()}: called before it was initialised");
    private int Index => Setup.Index;
    private int _step;

    public override Task OnActivateAsync(CancellationToken cancel)
    {
        count.Activated(SegmentKeys.StoryOf(this.GetPrimaryKeyString()));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancel)
    {
        count.Deactivated(SegmentKeys.StoryOf(this.GetPrimaryKeyString()));
        return Task.CompletedTask;
    }

    private void Report(int layer, string phase) => progress.Report(new SegmentProgress(Setup.StoryId, Index, _step, layer, phase, silo.Name));

    private SegmentInbox Inbox => _inbox ?? throw new InvalidOperationException($"segment {this.GetPrimaryKeyString()}: called before it was initialised");
    private ISegmentGrain Segment(int k) =>
        GrainFactory.GetGrain<ISegmentGrain>(SegmentKeys.Of(Setup.StoryId, k, Setup.Attempt, Setup.Placement[k]));

    Task ISegmentGrain.InitializeAsync(SegmentSetup setup, CancellationToken cancel)
    {
        if (setup.Placement.Length != setup.Segments)
            throw new ArgumentException($"segment setup: expected the silo of each of {setup.Segments} segments, found {setup.Placement.Length}");
        _setup = setup;
        _layout = new SequenceLayout(model.Config, setup.Segments);
        _latents = setup.Latents.ToArray();
        _inbox = new SegmentInbox();
        return Task.CompletedTask;
    }

    async Task ISegmentGrain.BeginStepAsync(StepStart step, CancellationToken cancel)
    {
        Inbox.ForgetBefore(step.Step);
        _step = step.Step;
        _ctx = new StepContext(model.Dit, _layout, Streams, step.Timestep);
        _residual = SegmentEdges.EmbedOwn(_ctx, Index, _latents, [Setup.Cond.Floats, Setup.Uncond.Floats]);
        await PushLastFrame(0);
    }

    /// <summary>
    /// Hands segment k + 1 the residual rows of this segment's last frame as layer <paramref name="layer"/> will see them
    /// (its attention window's halo), as soon as they exist: it then never waits on a round trip when it attends.
    /// </summary>
    private Task PushLastFrame(int layer) =>
        Index + 1 < _layout.Segments && layer < model.Config.Layers
            ? Segment(Index + 1).ReceiveHaloInputAsync(_step, layer, new FloatBlock(SegmentAttention.LastFrame(_ctx, Index, _residual)))
            : Task.CompletedTask;

    Task ISegmentGrain.ReceiveHaloInputAsync(int step, int layer, FloatBlock lastFrame)
    {
        _inbox?.PutHaloInput(step, layer, lastFrame);   // no inbox: late, after the segment was released
        return Task.CompletedTask;
    }

    Task ISegmentGrain.ReceiveHaloOutputAsync(int layer, FloatBlock haloOutput)
    {
        if (_inbox is not { } inbox) return Task.CompletedTask;   // late, after the segment was released
        inbox.HaloOutputFromNext = haloOutput;
        inbox.Signal(_step, layer, SegmentInput.HaloOutput);
        return Task.CompletedTask;
    }

    Task ISegmentGrain.WhenArrivedAsync(int layer, SegmentInput input, int group, CancellationToken cancel)
    {
        bool needed = input switch
        {
            SegmentInput.HaloInput => Index > 0,
            SegmentInput.HaloOutput => Index + 1 < _layout.Segments,
            SegmentInput.ForwardState => !ScanDirection.Forward.IsFirstRun(_layout, Index),
            SegmentInput.ReverseState => !ScanDirection.Backward.IsFirstRun(_layout, Index),
            _ => true,
        };
        return needed ? Inbox.Arrived(_step, layer, input, group).WaitAsync(cancel) : Task.CompletedTask;
    }

    async Task ISegmentGrain.AttendAsync(int layer, CancellationToken cancel)
    {
        Report(layer, "attention");
        FloatBlock halo = FloatBlock.Empty;
        if (Index > 0 && !Inbox.TakeHaloInput(_step, layer, out halo))
            throw new InvalidOperationException($"segment {Index}: no halo input from segment {Index - 1} for step {_step + 1}, layer {layer}");
        _attnOut = new float[_residual.Length];
        var haloOut = new float[Index > 0 ? halo.Length : 0];
        SegmentAttention.Attend(_ctx, layer, Index, _residual, halo.Floats, _attnOut, haloOut);
        if (Index > 0) await Segment(Index - 1).ReceiveHaloOutputAsync(layer, new FloatBlock(haloOut));
    }

    Task ISegmentGrain.PrepareForwardAsync(int layer, CancellationToken cancel)
    {
        if (Index + 1 < _layout.Segments)
        {
            SegmentAttention.AverageSharedFrame(_ctx, Index, _attnOut,
                Inbox.HaloOutputFromNext?.Floats ?? throw new InvalidOperationException($"segment {Index}: no halo output from segment {Index + 1} for layer {layer}"));
            Inbox.HaloOutputFromNext = null;
        }
        StartDirection(SegmentTtt.Prepare(_ctx, layer, Index, _attnOut, reverse: false), layer, reverse: false);
        return Task.CompletedTask;
    }

    async Task ISegmentGrain.ScanAsync(ScanTurn turn, CancellationToken cancel)
    {
        if (turn.Group == 0) Report(turn.Layer, turn.Reverse ? "reverse scan" : "forward scan");
        var cfg = model.Config;
        var block = model.Dit.Blocks[turn.Layer];
        var direction = new ScanDirection(turn.Reverse);
        int g = turn.Group, d = cfg.HeadDim;
        ScanState state;
        if (direction.IsFirstRun(_layout, Index))
            state = groups.InitialState(g, Streams, d, block.W1, block.B1, block.W2, block.B2);
        else if (Inbox.TakeState(turn.Layer, turn.Reverse, g, out byte[] pushed)) state = ScanState.FromBytes(pushed);
        else throw new InvalidOperationException($"segment {Index}: no scan state of head group {g} arrived from the previous segment for layer {turn.Layer} ({(turn.Reverse ? "reverse" : "forward")})");

        int runStart = direction.RunStart(_layout, Index);
        bool isLast = direction.IsLastRun(_layout, Index);
        var inputs = _scanInputs ?? throw new InvalidOperationException($"segment {Index}: scanned before its scan inputs were prepared");
        ScanResult result = TttScanner.Scan(state, inputs, runStart, isLast, cfg.MiniBatch, groups.Of(block.TttLnWeight, g, d), groups.Of(block.TttLnBias, g, d),
            cfg.LayerNormEps, firstHead: groups.FirstHead(g));
        if (++_groupsScanned == groups.Count) _scanInputs = null;

        // Outputs before this run's start finished a mini-batch that began in earlier segments: straight to their owners.
        var deliveries = new List<Task>();
        int position = result.FirstPosition, end = result.FirstPosition + result.Count;
        while (position < Math.Min(runStart, end))
        {
            int owner = OwnerOf(direction, position);
            int ownerEnd = Math.Min(direction.RunStart(_layout, owner) + _layout.ChunkLength(owner), runStart);
            var outputs = new ScanOutputs(owner, turn.Layer, turn.Reverse, g, position, ownerEnd - position, new FloatBlock(Slice(result, position, ownerEnd - position)));
            deliveries.Add(Segment(owner).DeliverScanOutputAsync(outputs));
            position = ownerEnd;
        }
        if (end > runStart) Store(Inbox, g, result, runStart, end - runStart, runStart);
        if (!isLast)
            deliveries.Add(Segment(direction.Reverse ? Index - 1 : Index + 1).ReceiveScanStateAsync(turn.Layer, turn.Reverse, g, new Immutable<byte[]>(state.ToBytes())));
        await Task.WhenAll(deliveries);
    }

    Task ISegmentGrain.ReceiveScanStateAsync(int layer, bool reverse, int group, Immutable<byte[]> state)
    {
        _inbox?.PutState(_step, layer, reverse, group, state.Value);   // no inbox: late, after the segment was released
        return Task.CompletedTask;
    }

    Task ISegmentGrain.DeliverScanOutputAsync(ScanOutputs outputs)
    {
        if (_inbox is not { } inbox) return Task.CompletedTask;   // late, after the segment was released
        var result = new ScanResult(outputs.FirstPosition, outputs.Count, outputs.Output.Floats);
        Store(inbox, outputs.Group, result, outputs.FirstPosition, outputs.Count, new ScanDirection(outputs.Reverse).RunStart(_layout, Index));
        return Task.CompletedTask;
    }

    Task ISegmentGrain.FinishForwardAsync(int layer, CancellationToken cancel)
    {
        _z = SegmentTtt.Finish(_ctx, layer, Index, _attnOut, TokenOrder(reverse: false), reverse: false);
        _attnOut = [];
        StartDirection(SegmentTtt.Prepare(_ctx, layer, Index, _z, reverse: true), layer, reverse: true);
        return Task.CompletedTask;
    }

    async Task ISegmentGrain.FinishBlockAsync(int layer, CancellationToken cancel)
    {
        Report(layer, "mlp");
        float[] zPrime = SegmentTtt.Finish(_ctx, layer, Index, _z, TokenOrder(reverse: true), reverse: true);
        _z = [];
        SegmentMlp.Apply(_ctx, layer, Index, _residual, zPrime);
        await PushLastFrame(layer + 1);
    }

    Task<FloatBlock> ISegmentGrain.EndStepAsync(StepEnd step, CancellationToken cancel)
    {
        float[] f = SegmentEdges.Final(_ctx, Index, _residual);
        int frames = _latents.Length;
        DdimSampler.Step(new NoiseSchedule(step.Steps), step.Step, step.GuidanceScale, _latents, f.AsSpan(0, frames), f.AsSpan(frames, frames));
        _residual = [];
        Report(model.Config.Layers - 1, "step done");
        return Task.FromResult(new FloatBlock((float[])_latents.Clone()));
    }

    Task<FloatBlock> ISegmentGrain.GetLatentsAsync(CancellationToken cancel) => Task.FromResult(new FloatBlock((float[])_latents.Clone()));

    Task ISegmentGrain.ReleaseAsync(CancellationToken cancel)
    {
        _inbox = null;   // pushes still on their way are dropped from now on
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private void StartDirection(TttInputs inputs, int layer, bool reverse)
    {
        _scanInputs = inputs;
        _groupsScanned = 0;
        var inbox = Inbox;
        inbox.ScanOutput = new float[inputs.Q.Length];
        inbox.ScanOutputDirection = (layer, reverse);
        inbox.ScanOutputRows = 0;
    }

    private int OwnerOf(ScanDirection direction, int position) =>
        _layout.SegmentOfScanPosition(direction.Reverse ? _layout.TotalTokens - 1 - position : position);

    /// <summary>
    /// Copies a head group's result rows [position, position + count) into the inbox's output buffer [B, H, C, d];
    /// signals when every row of every group is in.
    /// </summary>
    private void Store(SegmentInbox inbox, int group, ScanResult result, int position, int count, int runStart)
    {
        int d = model.Config.HeadDim, heads = model.Config.Heads, chunk = _layout.ChunkLength(Index), firstHead = groups.FirstHead(group);
        for (int b = 0; b < Streams; b++)
            for (int h = 0; h < groups.HeadsPerGroup; h++)
                result.Output.AsSpan(((b * groups.HeadsPerGroup + h) * result.Count + position - result.FirstPosition) * d, count * d)
                    .CopyTo(inbox.ScanOutput.AsSpan(((b * heads + firstHead + h) * chunk + position - runStart) * d));
        // The own runs and the deliveries store disjoint pieces, possibly at the same time; the last one completes the set.
        if (Interlocked.Add(ref inbox.ScanOutputRows, count) == chunk * groups.Count)
        {
            var (layer, reverse) = inbox.ScanOutputDirection;
            inbox.Signal(_step, layer, reverse ? SegmentInput.ReverseOutputs : SegmentInput.ForwardOutputs);
        }
    }

    /// <summary>Rows [position, position + count) of a head group's result, [B, heads of the group, count, d].</summary>
    private float[] Slice(ScanResult result, int position, int count)
    {
        int d = model.Config.HeadDim, items = Streams * groups.HeadsPerGroup;
        var slice = new float[items * count * d];
        for (int bh = 0; bh < items; bh++)
            result.Output.AsSpan((bh * result.Count + position - result.FirstPosition) * d, count * d).CopyTo(slice.AsSpan(bh * count * d));
        return slice;
    }

    /// <summary>The scan output in the chunk's token order (the reverse direction visited it back to front).</summary>
    private float[] TokenOrder(bool reverse)
    {
        var output = Inbox.ScanOutput;
        if (!reverse) return output;
        int d = model.Config.HeadDim, chunk = _layout.ChunkLength(Index);
        var ordered = new float[output.Length];
        for (int bh = 0; bh < Streams * model.Config.Heads; bh++)
            for (int r = 0; r < chunk; r++)
                output.AsSpan((bh * chunk + chunk - 1 - r) * d, d).CopyTo(ordered.AsSpan((bh * chunk + r) * d));
        return ordered;
    }
}
