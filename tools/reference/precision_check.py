"""How far is each fp32 golden from the same computation in float64?

Reads the goldens back from tests/golden/, recomputes every expected tensor with torch's default dtype set to
float64 (weights and inputs widened from their stored fp32 values), and prints the relative error
max|golden − float64| / max|float64| per tensor. This is the rounding noise of an fp32 implementation; a C#
implementation that sums in a different order should land within a small multiple of it.
Run: /usr/bin/python3 tools/reference/precision_check.py   (after make_golden.py)
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ttt_model as M  # noqa: E402
from safetensors_io import load_file  # noqa: E402

GOLDEN = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden"))


def load64(name):
    t, meta = load_file(os.path.join(GOLDEN, name))
    return {k: v.to(torch.float64) for k, v in t.items()}, {k: v.to(torch.float32) for k, v in t.items()}, meta


def rel(a, b):
    a = a.to(torch.float64)
    b = b.to(torch.float64)
    return ((a - b).abs().max() / max(b.abs().max().item(), 1e-30)).item()


def report(name, pairs):
    print(f"  {name}: " + ", ".join(f"{k} {rel(g, r):.1e}" for k, g, r in pairs))


def main():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    print("precision_check: max rel |fp32 golden - float64 recomputation| per expected tensor")
    W, _, meta = load64("tiny_weights.safetensors")
    cfg = M.TttConfig.from_json(meta["ttt_config"])
    worst = 0.0
    for case in ("ttt_scan_even", "ttt_scan_partial"):
        w, _, _ = load64(f"{case}.weights.safetensors")
        x, _, m = load64(f"{case}.inputs.safetensors")
        _, e, _ = load64(f"{case}.expected.safetensors")
        Z, st = M.ttt_scan(w["W1"], w["b1"], w["W2"], w["b2"], w["ln_weight"], w["ln_bias"],
                           x["XQ"], x["XK"], x["XV"] - x["XK"], x["eta"], int(m["mini_batch"]), cfg.layerNormEps)
        pairs = [("Z", e["Z"], Z)] + [(k, e[k], s) for k, s in zip(("W1", "b1", "W2", "b2"), st)]
        report(case, pairs)
        worst = max(worst, *(rel(g, r) for _, g, r in pairs))
    x, e, m = load64("block_n2.safetensors")
    n = int(m["segments"])
    t_out, v_out, inter = M.block(x["text"], x["video"], M.silu(x["temb"]), W, int(m["block"]), cfg, n)
    pairs = [("attn", e["expected.attn"], inter["attn"]), ("z", e["expected.z"], inter["z"]),
             ("z_prime", e["expected.z_prime"], inter["z_prime"]), ("text", e["expected.text"], t_out),
             ("video", e["expected.video"], v_out)]
    report("block_n2", pairs)
    worst = max(worst, *(rel(g, r) for _, g, r in pairs))
    for n in (3, 2):
        x, e, m = load64(f"forward_n{n}.safetensors")
        Fo, temb = M.forward(x["x"], int(m["t"]), x["text_embeddings"], W, cfg)
        pairs = [("temb", e["expected.temb"], temb), ("F", e["expected.F"], Fo)]
        report(f"forward_n{n}", pairs)
        worst = max(worst, *(rel(g, r) for _, g, r in pairs))
    x, e, m = load64("sample4_n3.safetensors")
    xf, traj, (ts, a, sig, s) = M.sample(x["noise"], x["cond"], x["uncond"], int(m["steps"]), float(m["guidance"]),
                                         float(m["guidance_power"]), W, cfg)
    pairs = [(f"x_step{i}", e[f"expected.x_step{i}"], xi) for i, xi in enumerate(traj)]
    pairs += [("x", e["expected.x"], xf), ("a", e["expected.a"], a), ("cfg_scale", e["expected.cfg_scale"], s),
              ("t", e["expected.t"], torch.tensor(ts, dtype=torch.float64))]
    report("sample4_n3", pairs)
    worst = max(worst, *(rel(g, r) for _, g, r in pairs))
    print(f"precision_check: worst {worst:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
