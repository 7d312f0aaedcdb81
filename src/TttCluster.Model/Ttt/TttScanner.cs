using TttCluster.Tensors;

namespace TttCluster.Model.Ttt;

/// <summary>
/// Runs the TTT scan over one run of consecutive tokens, picking up the state (and the open mini-batch) where the
/// previous run left it. Heads and batch elements are independent, so they run in parallel; within a head the
/// mini-batches are strictly serial. Calling this once on the whole sequence or once per segment gives the same bits:
/// mini-batches are cut from global positions, and each is computed by the same code on the same rows.
/// </summary>
public static class TttScanner
{
    [ThreadStatic] private static TttMiniBatch? t_step;
    [ThreadStatic] private static (int D, int B, float Eps) t_stepKey;
    [ThreadStatic] private static float[]? t_rows;

    /// <param name="state">Updated in place; on return it expects the token after this run.</param>
    /// <param name="inputs">This run's tokens in direction order.</param>
    /// <param name="firstPosition">Direction position of inputs row 0; must equal <c>state.NextPosition</c>.</param>
    /// <param name="isLast">True for the run that ends the sequence: its last, partial mini-batch is processed too.</param>
    /// <param name="gamma">Inner LN γ per head of the state [H, d]; <paramref name="beta"/> likewise.</param>
    /// <param name="firstHead">The inputs' head that the state's head 0 is: a state of a head group reads its heads
    /// [firstHead, firstHead + H) straight from the inputs of all heads, with no copy.</param>
    public static ScanResult Scan(ScanState state, TttInputs inputs, int firstPosition, bool isLast, int miniBatch,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, int firstHead = 0)
    {
        if (firstPosition != state.NextPosition)
            throw new InvalidOperationException($"TTT scan hand-off out of order: the state expects position {state.NextPosition}, the run starts at {firstPosition}");
        if (inputs.Batch != state.Batch || inputs.HeadDim != state.HeadDim || firstHead < 0 || firstHead + state.Heads > inputs.Heads)
            throw new ArgumentException($"TTT inputs [B={inputs.Batch}, H={inputs.Heads}, d={inputs.HeadDim}] do not match the state " +
                $"[B={state.Batch}, H={state.Heads}, d={state.HeadDim}] from input head {firstHead}");

        TttInputs carried = state.Carried;
        int d = state.HeadDim, hid = state.Hidden, heads = state.Heads;
        int total = carried.Rows + inputs.Rows;
        int processed = isLast ? total : total / miniBatch * miniBatch;
        var output = new float[state.Batch * heads * processed * d];
        var newCarry = new TttInputs(state.Batch, heads, d, total - processed);
        float[] gammaArr = gamma.ToArray(), betaArr = beta.ToArray();

        Parallel.For(0, state.Batch * heads, bh =>
        {
            int b = bh / heads, h = bh % heads;
            TttMiniBatch step = StepFor(d, miniBatch, eps);
            float[] rows = RowScratch(miniBatch * (3 * d + 1));
            Span<float> kb = rows.AsSpan(0, miniBatch * d), qb = rows.AsSpan(miniBatch * d, miniBatch * d);
            Span<float> tb = rows.AsSpan(2 * miniBatch * d, miniBatch * d), eb = rows.AsSpan(3 * miniBatch * d, miniBatch);
            Span<float> w1 = state.W1.AsSpan(bh * d * hid, d * hid), b1 = state.B1.AsSpan(bh * hid, hid);
            Span<float> w2 = state.W2.AsSpan(bh * hid * d, hid * d), b2 = state.B2.AsSpan(bh * d, d);
            ReadOnlySpan<float> g = gammaArr.AsSpan(h * d, d), be = betaArr.AsSpan(h * d, d);
            Span<float> outHead = output.AsSpan(bh * processed * d, processed * d);

            for (int start = 0; start < processed; start += miniBatch)
            {
                int m = Math.Min(miniBatch, processed - start);
                for (int r = 0; r < m; r++) CopyRow(carried, inputs, b, h, firstHead, start + r, r, kb, qb, tb, eb);
                step.Step(w1, b1, w2, b2, kb[..(m * d)], qb[..(m * d)], tb[..(m * d)], eb[..m], m, g, be, outHead.Slice(start * d, m * d));
            }
            // The rest waits in the state for the tokens that complete its mini-batch.
            for (int r = processed; r < total; r++)
            {
                int dst = r - processed;
                CopyRow(carried, inputs, b, h, firstHead, r, 0, kb, qb, tb, eb);
                kb[..d].CopyTo(newCarry.K.AsSpan(newCarry.VectorOffset(b, h, dst), d));
                qb[..d].CopyTo(newCarry.Q.AsSpan(newCarry.VectorOffset(b, h, dst), d));
                tb[..d].CopyTo(newCarry.Target.AsSpan(newCarry.VectorOffset(b, h, dst), d));
                newCarry.Eta[newCarry.EtaOffset(b, h, dst)] = eb[0];
            }
        });

        int firstOut = state.CarriedStart;
        state.NextPosition = firstPosition + inputs.Rows;
        state.Carried = newCarry;
        return new ScanResult(firstOut, processed, output);
    }

    /// <summary>Copies virtual row <paramref name="row"/> (the carried rows first, then the run's) of the state's head
    /// <paramref name="h"/> into scratch slot <paramref name="slot"/>; in the run's inputs that head is h + firstHead.</summary>
    private static void CopyRow(TttInputs carried, TttInputs inputs, int b, int h, int firstHead, int row, int slot, Span<float> k, Span<float> q, Span<float> t, Span<float> eta)
    {
        bool isCarried = row < carried.Rows;
        TttInputs src = isCarried ? carried : inputs;
        int r = isCarried ? row : row - carried.Rows, head = isCarried ? h : h + firstHead;
        int d = src.HeadDim, off = src.VectorOffset(b, head, r);
        src.K.AsSpan(off, d).CopyTo(k.Slice(slot * d, d));
        src.Q.AsSpan(off, d).CopyTo(q.Slice(slot * d, d));
        src.Target.AsSpan(off, d).CopyTo(t.Slice(slot * d, d));
        eta[slot] = src.Eta[src.EtaOffset(b, head, r)];
    }

    private static TttMiniBatch StepFor(int d, int miniBatch, float eps)
    {
        if (t_step is null || t_stepKey != (d, miniBatch, eps))
        {
            t_step = new TttMiniBatch(d, miniBatch, eps);
            t_stepKey = (d, miniBatch, eps);
        }
        return t_step;
    }

    private static float[] RowScratch(int length)
    {
        if (t_rows is null || t_rows.Length < length) t_rows = new float[length];
        return t_rows;
    }
}
