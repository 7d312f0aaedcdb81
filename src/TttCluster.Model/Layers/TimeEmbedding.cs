using TttCluster.Model.Parameters;
using TttCluster.Tensors;

namespace TttCluster.Model.Layers;

/// <summary>temb = fc2(SiLU(fc1(sinusoid(t)))) for the integer DDPM index t (docs/MODEL.md §5).</summary>
public static class TimeEmbedding
{
    /// <summary>[cos(t·f_k) | sin(t·f_k)], f_k = exp(−ln(10000)·k/(D/2)), computed in float64 and rounded.</summary>
    public static float[] Sinusoid(int t, int width)
    {
        int half = width / 2;
        var s = new float[width];
        for (int k = 0; k < half; k++)
        {
            double angle = t * Math.Exp(-Math.Log(10000.0) * k / half);
            s[k] = (float)Math.Cos(angle);
            s[half + k] = (float)Math.Sin(angle);
        }
        return s;
    }

    public static float[] Forward(ModelParameters p, int t)
    {
        float[] h = Linear.ForwardVector(p.TimeFc1, Sinusoid(t, p.Config.Width));
        Activations.Silu(h, h);
        return Linear.ForwardVector(p.TimeFc2, h);
    }
}
