"""Self-checks of the reference (TTT_SPEC §13 b-d and MODEL.md claims). Exits non-zero on failure.

1. dual form == primal form for one mini-batch (TTT_SPEC §5), full and partial, float64 and float32;
2. interleave ∘ undo_interleave == identity, and the scan order equals TTT_SPEC §2.5's chunk bookkeeping;
3. a partial last mini-batch == padding the sequence with tokens whose η is 0 (MODEL.md §5 decision);
4. with all four gates α = 0 the block equals a local-attention-only block;
5. the ZeroSNR schedule has a_0 = 0, a_N = 1, and N = 50 gives t = 999, 979, ..., 19;
6. the plainly written ops agree with torch built-ins (layer_norm, tanh-GELU, conv2d patch embed,
   complex-multiplication RoPE, unpatchify as the inverse of patchify).
Run: /usr/bin/python3 tools/reference/self_test.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ttt_model as M  # noqa: E402
from random_weights import random_weights  # noqa: E402

FAILURES = []


def rel(a, b):
    return ((a - b).abs().max() / max(b.abs().max().item(), 1e-30)).item()


def check(label, value, limit):
    ok = value <= limit
    print(f"  {label}: {value:.3e} (limit {limit:.0e}) {'OK' if ok else 'FAIL'}")
    if not ok:
        FAILURES.append(label)


def dual_form_output(state, Kb, Qb, Tg, eta, gamma, beta, eps):
    """TTT_SPEC §5 dual form: output without materialising the updated weights."""
    W1, b1, W2, b2 = state
    _, (A1, G1, G2) = M.inner_grads(state, Kb, Tg, eta, gamma, beta, eps)
    m = Kb.shape[0]
    eta_t = eta[None, :].expand(m, m)  # η̃[i, j] = η_j, identical rows, no causal mask
    Z1q = Qb @ W1 - (eta_t * (Qb @ Kb.t())) @ G1 + b1 - eta_t[:1] @ G1
    A1q = M.gelu(Z1q)
    Z2q = A1q @ W2 - (eta_t * (A1q @ A1.t())) @ G2 + b2 - eta_t[:1] @ G2
    Xq, _ = M.ln_stats(Z2q, eps)
    return Qb + (gamma * Xq + beta)


def test_dual_primal():
    print("dual form == primal form (one mini-batch)")
    g = torch.Generator().manual_seed(7)
    for dt, limit in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        for m in (16, 5):
            d = 16
            state = (torch.randn(d, 4 * d, generator=g, dtype=dt) * 0.3 / d ** 0.5,
                     torch.randn(4 * d, generator=g, dtype=dt) * 0.05,
                     torch.randn(4 * d, d, generator=g, dtype=dt) * 0.3 / (4 * d) ** 0.5,
                     torch.randn(d, generator=g, dtype=dt) * 0.05)
            Kb = M.l2_normalise(torch.randn(m, d, generator=g, dtype=dt))
            Qb = M.l2_normalise(torch.randn(m, d, generator=g, dtype=dt))
            Tg = torch.randn(m, d, generator=g, dtype=dt)
            eta = torch.rand(m, generator=g, dtype=dt) * 0.05
            gamma = 1 + 0.1 * torch.randn(d, generator=g, dtype=dt)
            beta = 0.1 * torch.randn(d, generator=g, dtype=dt)
            _, primal = M.minibatch_step(state, Kb, Qb, Tg, eta, gamma, beta, 1e-6)
            dual = dual_form_output(state, Kb, Qb, Tg, eta, gamma, beta, 1e-6)
            check(f"{str(dt)[6:]} m={m}: max rel |dual - primal|", rel(dual, primal), limit)


def spec_interleave(x, cfg, n):
    """TTT_SPEC §2.5 interleave, written from its chunk bookkeeping (independent of scan_order)."""
    Lt, P = cfg.textTokensPerSegment, cfg.tokens_per_frame
    T = cfg.frames(n)
    fpc = (T - 1) // n if n > 1 else T  # frames of later segments
    first = T - fpc * (n - 1)  # frames of segment 0 (F + 1)
    texts = [x[k * Lt : (k + 1) * Lt] for k in range(n)]
    xv = x[n * Lt :]
    vids = [xv[: first * P]] + [xv[first * P + k * fpc * P : first * P + (k + 1) * fpc * P] for k in range(n - 1)]
    return torch.cat([t for pair in zip(texts, vids) for t in pair])


def test_interleave():
    print("interleave / undo_interleave")
    cfg = M.TttConfig.tiny()
    for n in (1, 2, 3, 5):
        L = cfg.tokens(n)
        x = torch.randn(L, 3)
        y = M.interleave(x, cfg, n)
        check(f"n={n}: max |undo_interleave(interleave(x)) - x|", (M.undo_interleave(y, cfg, n) - x).abs().max().item(), 0.0)
        check(f"n={n}: max |interleave(undo_interleave(x)) - x|", (M.interleave(M.undo_interleave(x, cfg, n), cfg, n) - x).abs().max().item(), 0.0)
        check(f"n={n}: max |scan order - TTT_SPEC 2.5 chunking|", (y - spec_interleave(x, cfg, n)).abs().max().item(), 0.0)
        if n == 1:
            check("n=1: scan order == model order", (y - x).abs().max().item(), 0.0)


def test_partial_equals_padding():
    print("partial last mini-batch == padding with eta = 0 tokens")
    g = torch.Generator().manual_seed(11)
    H, d, L, b = 2, 16, 37, 16
    W1 = torch.randn(H, d, 4 * d, generator=g) * 0.3 / d ** 0.5
    b1 = torch.randn(H, 4 * d, generator=g) * 0.05
    W2 = torch.randn(H, 4 * d, d, generator=g) * 0.3 / (4 * d) ** 0.5
    b2 = torch.randn(H, d, generator=g) * 0.05
    lw = 1 + 0.1 * torch.randn(H, d, generator=g)
    lb = 0.1 * torch.randn(H, d, generator=g)
    Lp = 48
    XQ = M.l2_normalise(torch.randn(H, Lp, d, generator=g))
    XK = M.l2_normalise(torch.randn(H, Lp, d, generator=g))
    Tg = torch.randn(H, Lp, d, generator=g)
    eta = torch.rand(H, Lp, generator=g) * 0.05
    Z, st = M.ttt_scan(W1, b1, W2, b2, lw, lb, XQ[:, :L], XK[:, :L], Tg[:, :L], eta[:, :L], b, 1e-6)
    eta_pad = eta.clone()
    eta_pad[:, L:] = 0.0
    Zp, stp = M.ttt_scan(W1, b1, W2, b2, lw, lb, XQ, XK, Tg, eta_pad, b, 1e-6)
    check("max rel |Z partial - Z padded|", rel(Z, Zp[:, :L]), 1e-6)
    for name, a, bb in zip(("W1", "b1", "W2", "b2"), st, stp):
        check(f"final {name}: max rel |partial - padded|", rel(a, bb), 1e-6)


def test_zero_gates():
    print("all four gates alpha = 0: block == local-attention-only block")
    cfg = M.TttConfig.tiny()
    cfg.tttBaseLr = 4.0
    W = random_weights(cfg, seed=99)
    for k in ("gate_fwd_text", "gate_fwd_video", "gate_bwd_text", "gate_bwd_video"):
        W[f"blocks.0.{k}"] = torch.zeros_like(W[f"blocks.0.{k}"])
    g = torch.Generator().manual_seed(5)
    n = 2
    text = torch.randn(n * cfg.textTokensPerSegment, cfg.width, generator=g)
    video = torch.randn(cfg.frames(n) * cfg.tokens_per_frame, cfg.width, generator=g)
    c = M.silu(torch.randn(cfg.timeEmbedDim, generator=g))
    t1, v1, inter = M.block(text, video, c, W, 0, cfg, n, use_ttt=True)
    t2, v2, _ = M.block(text, video, c, W, 0, cfg, n, use_ttt=False)
    check("max |text(alpha=0) - text(attention only)|", (t1 - t2).abs().max().item(), 0.0)
    check("max |video(alpha=0) - video(attention only)|", (v1 - v2).abs().max().item(), 0.0)
    check("max |Z' - X'| with alpha=0", (inter["z_prime"] - inter["attn"]).abs().max().item(), 0.0)


def test_schedule():
    print("sampler schedule")
    ts, a, sig, s = M.sampler_schedule(50, 6.0, 5.0)
    expect = list(range(999, 18, -20))
    check("N=50 timesteps == 999, 979, ..., 19", 0.0 if ts == expect else 1.0, 0.0)
    check("|a_0|", abs(a[0].item()), 0.0)
    check("|a_N - 1|", abs(a[-1].item() - 1.0), 0.0)
    check("|s_0 - 1|", abs(s[0].item() - 1.0), 0.0)


def test_builtins():
    import torch.nn.functional as Fn
    print("plain ops vs torch built-ins")
    g = torch.Generator().manual_seed(3)
    cfg = M.TttConfig.tiny()
    x = torch.randn(50, 64, generator=g)
    gam, bet = 1 + 0.1 * torch.randn(64, generator=g), 0.1 * torch.randn(64, generator=g)
    check("layer_norm vs F.layer_norm", rel(M.layer_norm(x, gam, bet, 1e-6), Fn.layer_norm(x, (64,), gam, bet, 1e-6)), 1e-6)
    check("gelu vs F.gelu(tanh)", rel(M.gelu(3 * x), Fn.gelu(3 * x, approximate="tanh")), 1e-6)
    u = torch.randn(40, 16, generator=g, dtype=torch.float64)
    std = torch.std(u, dim=-1, unbiased=True, keepdim=True)
    check("ln_prime vs torch.std(unbiased)", rel(M.ln_prime(u, 1.0, 0.0, 1e-6), (u - u.mean(-1, keepdim=True)) / (std + 1e-6)), 1e-12)
    lat = torch.randn(4, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth, generator=g)
    w = torch.randn(64, cfg.latentChannels, 2, 2, generator=g)
    bias = torch.randn(64, generator=g)
    conv = Fn.conv2d(lat, w, bias, stride=2)  # [T, D, 4, 6]
    conv = conv.permute(0, 2, 3, 1).reshape(-1, 64)
    mine = M.patch_embed(lat, {"patch_embed.weight": w, "patch_embed.bias": bias}, cfg)
    check("patch_embed vs conv2d stride 2", rel(mine, conv), 1e-6)
    check("unpatchify(patchify(x)) == x", (M.unpatchify(M.patchify(lat, cfg), 4, cfg) - lat).abs().max().item(), 0.0)
    pt, ph, pw = M.video_positions(cfg, range(5))
    cos, sin = M.rope_tables(pt, ph, pw, cfg)
    q = torch.randn(len(pt), 4, 16, generator=g)
    qc = torch.view_as_complex(q.reshape(len(pt), 4, 8, 2).contiguous())
    rot = torch.polar(torch.ones_like(cos), torch.atan2(sin, cos))[:, None, :]
    ref = torch.view_as_real(qc * rot).reshape(q.shape)
    check("apply_rope vs complex multiplication", rel(M.apply_rope(q, cos, sin), ref), 1e-6)
    # the t part of pair 1 of the token at frame 3 rotates by 3·θ^(-2/4) = 3·0.01
    idx = pt.index(3)
    check("rope angle, frame 3, t pair 1", abs(torch.atan2(sin[idx, 1], cos[idx, 1]).item() - 0.03), 1e-7)


def main():
    torch.set_num_threads(1)
    test_builtins()
    test_dual_primal()
    test_interleave()
    test_partial_equals_padding()
    test_zero_gates()
    test_schedule()
    if FAILURES:
        print(f"self_test: {len(FAILURES)} FAILED: {FAILURES}")
        return 1
    print("self_test: all OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
