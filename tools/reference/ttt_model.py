"""Plain PyTorch reference of the TTT-DiT model of docs/MODEL.md.

Written from docs/MODEL.md (the contract) and TTT_SPEC.md only, independently of the C# engine.
Clarity over speed: plain loops over windows, heads and mini-batches. Everything is float32 except where
MODEL.md asks for float64 (time sinusoid, RoPE angles/cos/sin, the sampler schedule).

Section numbers (§) refer to docs/MODEL.md.
"""
import json
import math
from dataclasses import asdict, dataclass

import torch

GELU_C = 0.7978845608  # MODEL.md §4, the tanh-GELU constant (sqrt(2/pi) to 10 digits)
GELU_A = 0.044715


def work_dtype():
    """The working precision: float32 (torch's default dtype). The float64 tables of MODEL.md are rounded to it.
    precision_check.py sets the default dtype to float64 to measure how sensitive each golden is to rounding."""
    return torch.get_default_dtype()


# ----------------------------------------------------------------------------------------------------------
# §1 configuration
# ----------------------------------------------------------------------------------------------------------
@dataclass
class TttConfig:
    layers: int = 2
    width: int = 64
    heads: int = 4
    headDim: int = 16
    mlpHidden: int = 256
    timeEmbedDim: int = 32
    textDim: int = 32
    latentChannels: int = 4
    latentHeight: int = 8
    latentWidth: int = 12
    patch: int = 2
    framesPerSegment: int = 3
    textTokensPerSegment: int = 16
    miniBatch: int = 16
    tttBaseLr: float = 0.1
    gateInit: float = 0.1
    ropeTheta: float = 10000.0
    layerNormEps: float = 1e-6

    @staticmethod
    def tiny():
        return TttConfig()

    # derived quantities
    @property
    def patch_rows(self):
        return self.latentHeight // self.patch

    @property
    def patch_cols(self):
        return self.latentWidth // self.patch

    @property
    def tokens_per_frame(self):
        return self.patch_rows * self.patch_cols

    def frames(self, n):
        """T = 1 + F·n latent frames for a story of n segments."""
        return 1 + self.framesPerSegment * n

    def tokens(self, n):
        return n * self.textTokensPerSegment + self.frames(n) * self.tokens_per_frame

    def rope_split(self):
        d = self.headDim
        return d // 4, 3 * d // 8, 3 * d // 8

    def validate(self):
        assert self.width == self.heads * self.headDim
        assert self.headDim % 16 == 0
        assert self.latentHeight % self.patch == 0 and self.latentWidth % self.patch == 0
        one_segment = self.tokens(1)
        if self.miniBatch < 1 or self.miniBatch > one_segment:
            raise ValueError(f"miniBatch {self.miniBatch} must be in 1..{one_segment} (one segment's tokens)")

    def to_json(self):
        """JSON for __metadata__["ttt_config"]. Integral float values are written as JSON integers
        (e.g. ropeTheta 10000) so that both int and double fields on the reading side accept them."""
        d = {}
        for k, v in asdict(self).items():
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            d[k] = v
        return json.dumps(d, separators=(",", ":"))

    @staticmethod
    def from_json(s):
        d = json.loads(s)
        cfg = TttConfig(**d)
        for k in ("tttBaseLr", "gateInit", "ropeTheta", "layerNormEps"):
            setattr(cfg, k, float(getattr(cfg, k)))
        return cfg


# ----------------------------------------------------------------------------------------------------------
# §4 operations
# ----------------------------------------------------------------------------------------------------------
def linear(x, weight, bias):
    """y = x·Wᵀ + b, weight [out, in] as PyTorch stores it."""
    return x @ weight.t() + bias


def layer_norm(x, gamma, beta, eps):
    """(x − mean)/sqrt(var_biased + eps)·γ + β over the last axis. gamma/beta None: plain normalisation."""
    mean = x.mean(dim=-1, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(dim=-1, keepdim=True)
    y = xc / torch.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma + beta
    return y


def ln_prime(u, gamma, beta, eps):
    """LN′, the TTT target norm: (u − mean)/(std_unbiased + eps)·γ + β, eps outside the sqrt."""
    d = u.shape[-1]
    mean = u.mean(dim=-1, keepdim=True)
    uc = u - mean
    std = torch.sqrt((uc * uc).sum(dim=-1, keepdim=True) / (d - 1))
    return uc / (std + eps) * gamma + beta


def gelu(u):
    return 0.5 * u * (1.0 + torch.tanh(GELU_C * (u + GELU_A * u * u * u)))


def gelu_prime(u):
    t = torch.tanh(GELU_C * (u + GELU_A * u * u * u))
    return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * u * u)


def silu(u):
    return u * torch.sigmoid(u)


def modulate(x, shift, scale, gamma, beta, eps):
    """modulate(x, shift, scale) = LN(x)·(1 + scale) + shift (LN with γ, β; None for a non-affine LN)."""
    return layer_norm(x, gamma, beta, eps) * (1.0 + scale) + shift


def l2_normalise(x):
    """x / max(‖x‖₂, 1e-12) over the last axis (one head vector)."""
    norm = torch.sqrt((x * x).sum(dim=-1, keepdim=True))
    return x / torch.clamp(norm, min=1e-12)


# ----------------------------------------------------------------------------------------------------------
# RoPE 3D (§4): adjacent pairs, channels [t | h | w], float64 tables rounded to fp32
# ----------------------------------------------------------------------------------------------------------
def rope_tables(pos_t, pos_h, pos_w, cfg):
    """cos, sin of shape [L, d/2] (fp32) for tokens with integer positions (lists/1-D tensors of length L).
    Pair index: t part pairs 0..d_t/2−1, then h pairs, then w pairs."""
    d_t, d_h, d_w = cfg.rope_split()
    theta = float(cfg.ropeTheta)
    angles = []
    for pos, d_a in ((pos_t, d_t), (pos_h, d_h), (pos_w, d_w)):
        m = torch.arange(d_a // 2, dtype=torch.float64)
        freq = theta ** (-2.0 * m / d_a)  # θ^(−2m/d_a), float64
        p = torch.as_tensor(pos, dtype=torch.float64)
        angles.append(p[:, None] * freq[None, :])
    ang = torch.cat(angles, dim=1)  # [L, d/2], float64
    return torch.cos(ang).to(work_dtype()), torch.sin(ang).to(work_dtype())


def apply_rope(x, cos, sin):
    """x [L, H, d]; cos/sin [L, d/2]. (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos) on pairs (2m, 2m+1)."""
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[:, None, :].to(x.dtype)
    s = sin[:, None, :].to(x.dtype)
    y0 = x0 * c - x1 * s
    y1 = x0 * s + x1 * c
    return torch.stack((y0, y1), dim=-1).reshape(x.shape)


# ----------------------------------------------------------------------------------------------------------
# §2 token layouts
# ----------------------------------------------------------------------------------------------------------
def segment_frames(cfg, k):
    """Frames owned by segment k: segment 0 frames 0..F, segment k ≥ 1 frames F·k+1 .. F·k+F."""
    F = cfg.framesPerSegment
    if k == 0:
        return list(range(0, F + 1))
    return list(range(F * k + 1, F * k + F + 1))


def video_token(cfg, n, frame, r):
    """Model-order index of video token r (= i·(W/p) + j) of frame `frame`."""
    return n * cfg.textTokensPerSegment + frame * cfg.tokens_per_frame + r


def scan_order(cfg, n):
    """The interleaved scan order S (§2) as a list of model-order token indices:
    text_0, frames of segment 0, text_1, frames of segment 1, ..."""
    Lt, P = cfg.textTokensPerSegment, cfg.tokens_per_frame
    order = []
    for k in range(n):
        order.extend(range(k * Lt, (k + 1) * Lt))
        for f in segment_frames(cfg, k):
            order.extend(video_token(cfg, n, f, r) for r in range(P))
    assert len(order) == cfg.tokens(n) and sorted(order) == list(range(cfg.tokens(n)))
    return order


def interleave(x, cfg, n):
    """[text | video] → scan order (rows of x)."""
    return x[torch.tensor(scan_order(cfg, n))]


def undo_interleave(y, cfg, n):
    """scan order → [text | video]."""
    out = torch.empty_like(y)
    out[torch.tensor(scan_order(cfg, n))] = y
    return out


def video_positions(cfg, frames):
    """(pos_t, pos_h, pos_w) of every video token of the given global frames, frame-major, row, column."""
    pt, ph, pw = [], [], []
    for f in frames:
        for i in range(cfg.patch_rows):
            for j in range(cfg.patch_cols):
                pt.append(f)
                ph.append(i)
                pw.append(j)
    return pt, ph, pw


# ----------------------------------------------------------------------------------------------------------
# §5 time embedding, patch embed, text projection, final layer, unpatchify
# ----------------------------------------------------------------------------------------------------------
def time_sinusoid(t, D):
    """sinusoid(t)[k] = cos(t·f_k), [D/2 + k] = sin(t·f_k), f_k = exp(−ln(10000)·k/(D/2)); float64 → fp32."""
    half = D // 2
    k = torch.arange(half, dtype=torch.float64)
    f = torch.exp(-math.log(10000.0) * k / half)
    arg = float(t) * f
    return torch.cat((torch.cos(arg), torch.sin(arg))).to(work_dtype())


def time_embed(t, W, cfg):
    s = time_sinusoid(t, cfg.width)
    h = silu(linear(s, W["time_embed.fc1.weight"], W["time_embed.fc1.bias"]))
    return linear(h, W["time_embed.fc2.weight"], W["time_embed.fc2.bias"])


def patchify(x, cfg):
    """x [T, C, H, W] → [T·P, C·p·p], patch vector in (c, py, px) order, tokens frame/row/column-major."""
    T, C, Hh, Ww = x.shape
    p = cfg.patch
    x = x.reshape(T, C, Hh // p, p, Ww // p, p)  # t, c, i, py, j, px
    x = x.permute(0, 2, 4, 1, 3, 5)  # t, i, j, c, py, px
    return x.reshape(T * (Hh // p) * (Ww // p), C * p * p)


def unpatchify(out, T, cfg):
    """[T·P, C·p·p] → [T, C, H, W]: feature (c, py, px) of patch (i, j) goes to x[t, c, i·p+py, j·p+px]."""
    p, C = cfg.patch, cfg.latentChannels
    hp, wp = cfg.patch_rows, cfg.patch_cols
    x = out.reshape(T, hp, wp, C, p, p)  # t, i, j, c, py, px
    x = x.permute(0, 3, 1, 4, 2, 5)  # t, c, i, py, j, px
    return x.reshape(T, C, hp * p, wp * p)


def patch_embed(x, W, cfg):
    w = W["patch_embed.weight"]
    return linear(patchify(x, cfg), w.reshape(w.shape[0], -1), W["patch_embed.bias"])


def text_proj(text_embeddings, W):
    n, Lt, Dtext = text_embeddings.shape
    return linear(text_embeddings.reshape(n * Lt, Dtext), W["text_proj.weight"], W["text_proj.bias"])


def final_layer(video, c, W, cfg):
    eps = cfg.layerNormEps
    D = cfg.width
    ada = linear(c, W["final.ada.weight"], W["final.ada.bias"])
    shift, scale = ada[:D], ada[D : 2 * D]
    h = layer_norm(video, W["final_norm.weight"], W["final_norm.bias"], eps)  # final_norm (affine)
    h = modulate(h, shift, scale, None, None, eps)  # final.norm: non-affine LN, then modulate
    return linear(h, W["final.linear.weight"], W["final.linear.bias"])


# ----------------------------------------------------------------------------------------------------------
# Local attention (§5)
# ----------------------------------------------------------------------------------------------------------
def local_attention(Ht, Hv, W, pre, cfg, n):
    """Ht [n·Lt, D], Hv [T·P, D] → X' [n·Lt + T·P, D] in [text | video] order."""
    D, H, d = cfg.width, cfg.heads, cfg.headDim
    F, Lt, P = cfg.framesPerSegment, cfg.textTokensPerSegment, cfg.tokens_per_frame
    eps = cfg.layerNormEps
    T = cfg.frames(n)
    out_text = torch.empty(n * Lt, D)
    out_video = torch.empty(T * P, D)
    # local positions: frame 0..F, patch row, patch column (same for every window)
    pt, ph, pw = video_positions(cfg, range(F + 1))
    cos, sin = rope_tables(pt, ph, pw, cfg)
    prev_last_frame = None  # window k−1's output for frame F·k (its local frame F)
    for k in range(n):
        text_k = Ht[k * Lt : (k + 1) * Lt]
        vid_k = Hv[F * k * P : (F * k + F + 1) * P]
        xw = torch.cat((text_k, vid_k), dim=0)
        Lw = xw.shape[0]
        q = linear(xw, W[pre + "attn.q.weight"], W[pre + "attn.q.bias"]).reshape(Lw, H, d)
        kk = linear(xw, W[pre + "attn.k.weight"], W[pre + "attn.k.bias"]).reshape(Lw, H, d)
        v = linear(xw, W[pre + "attn.v.weight"], W[pre + "attn.v.bias"]).reshape(Lw, H, d)
        q = layer_norm(q, W[pre + "attn.norm_q.weight"], W[pre + "attn.norm_q.bias"], eps)
        kk = layer_norm(kk, W[pre + "attn.norm_k.weight"], W[pre + "attn.norm_k.bias"], eps)
        q = torch.cat((q[:Lt], apply_rope(q[Lt:], cos, sin)), dim=0)
        kk = torch.cat((kk[:Lt], apply_rope(kk[Lt:], cos, sin)), dim=0)
        heads = []
        for h in range(H):
            scores = (q[:, h, :] @ kk[:, h, :].t()) / math.sqrt(d)
            probs = torch.softmax(scores, dim=-1)
            heads.append(probs @ v[:, h, :])
        o = linear(torch.cat(heads, dim=1), W[pre + "attn.o.weight"], W[pre + "attn.o.bias"])
        out_text[k * Lt : (k + 1) * Lt] = o[:Lt]
        o_vid = o[Lt:]
        # frames F·k+1 .. F·k+F are this window's alone (until window k+1 averages frame F·k+F)
        out_video[(F * k + 1) * P : (F * k + F + 1) * P] = o_vid[P:]
        if k == 0:
            out_video[0:P] = o_vid[:P]
        else:
            out_video[F * k * P : (F * k + 1) * P] = (prev_last_frame + o_vid[:P]) * 0.5
        prev_last_frame = o_vid[F * P : (F + 1) * P].clone()
    return torch.cat((out_text, out_video), dim=0)


# ----------------------------------------------------------------------------------------------------------
# TTT inner loop (§5 minibatch_step), closed-form inner gradient
# ----------------------------------------------------------------------------------------------------------
def ln_stats(Z, eps):
    mu = Z.mean(dim=-1, keepdim=True)
    Zc = Z - mu
    s = torch.sqrt((Zc * Zc).mean(dim=-1, keepdim=True) + eps)
    return Zc / s, s


def inner_grads(state, Kb, Tg, eta, gamma, beta, eps):
    """Closed-form gradient of Σ_j η_j ℓ_j, ℓ_j = ½‖γ⊙LN(f_MLP(k_j)) + β − Tg_j‖², at `state`.
    Returns (gW1, gb1, gW2, gb2) and the intermediates (A1, G1, G2)."""
    W1, b1, W2, b2 = state
    d = Kb.shape[-1]
    Z1 = Kb @ W1 + b1
    A1 = gelu(Z1)
    Z2 = A1 @ W2 + b2
    Xh, s = ln_stats(Z2, eps)
    E = gamma * Xh + beta - Tg
    Gx = gamma * E
    G2 = (d * Gx - Gx.sum(dim=-1, keepdim=True) - Xh * (Gx * Xh).sum(dim=-1, keepdim=True)) / (d * s)
    G1 = (G2 @ W2.t()) * gelu_prime(Z1)
    eG2 = eta[:, None] * G2
    eG1 = eta[:, None] * G1
    gW2 = A1.t() @ eG2
    gb2 = eG2.sum(dim=0)
    gW1 = Kb.t() @ eG1
    gb1 = eG1.sum(dim=0)
    return (gW1, gb1, gW2, gb2), (A1, G1, G2)


def inner_output(state, Qb, gamma, beta, eps):
    """O = Qb + γ⊙LN(gelu(Qb·W1 + b1)·W2 + b2) + β."""
    W1, b1, W2, b2 = state
    Zq = gelu(Qb @ W1 + b1) @ W2 + b2
    Xq, _ = ln_stats(Zq, eps)
    return Qb + (gamma * Xq + beta)


def minibatch_step(state, Kb, Qb, Tg, eta, gamma, beta, eps):
    """One mini-batch (m ≤ b tokens) of one head: update the state, then the output with the NEW state."""
    W1, b1, W2, b2 = state
    (gW1, gb1, gW2, gb2), _ = inner_grads(state, Kb, Tg, eta, gamma, beta, eps)
    new_state = (W1 - gW1, b1 - gb1, W2 - gW2, b2 - gb2)
    return new_state, inner_output(new_state, Qb, gamma, beta, eps)


def ttt_scan(W1, b1, W2, b2, ln_weight, ln_bias, XQ, XK, Tg, eta, mini_batch, eps):
    """The `ttt eval ttt-scan` kernel (§7): per head, mini-batches of `mini_batch` consecutive tokens from the
    start (the last may be partial). XQ, XK, Tg [H, L, d] already in scan order; eta [H, L].
    Returns Z [H, L, d] and the final state (W1, b1, W2, b2)."""
    H, L, d = XQ.shape
    Z = torch.empty_like(XQ)
    finals = ([], [], [], [])
    for h in range(H):
        state = (W1[h].clone(), b1[h].clone(), W2[h].clone(), b2[h].clone())
        for start in range(0, L, mini_batch):
            sl = slice(start, min(start + mini_batch, L))
            state, O = minibatch_step(state, XK[h, sl], XQ[h, sl], Tg[h, sl], eta[h, sl],
                                      ln_weight[h], ln_bias[h], eps)
            Z[h, sl] = O
        for lst, s in zip(finals, state):
            lst.append(s)
    return Z, tuple(torch.stack(lst) for lst in finals)


# ----------------------------------------------------------------------------------------------------------
# TTT layer, one direction (§5)
# ----------------------------------------------------------------------------------------------------------
def ttt_layer(x, W, pre, cfg, n, reverse):
    """x [L, D] in [text | video] order → TTT output [L, D] in the same order."""
    L, D = x.shape
    H, d, b = cfg.heads, cfg.headDim, cfg.miniBatch
    eps = cfg.layerNormEps
    Lt_all = n * cfg.textTokensPerSegment
    T = cfg.frames(n)
    Q = linear(x, W[pre + "ttt.q.weight"], W[pre + "ttt.q.bias"]).reshape(L, H, d)
    K = linear(x, W[pre + "ttt.k.weight"], W[pre + "ttt.k.bias"]).reshape(L, H, d)
    V = linear(x, W[pre + "ttt.v.weight"], W[pre + "ttt.v.bias"]).reshape(L, H, d)
    Q = l2_normalise(Q)
    K = l2_normalise(K)
    # global RoPE on video tokens (global frame index 0..T−1), same in both directions
    pt, ph, pw = video_positions(cfg, range(T))
    cos, sin = rope_tables(pt, ph, pw, cfg)
    Q = torch.cat((Q[:Lt_all], apply_rope(Q[Lt_all:], cos, sin)), dim=0)
    K = torch.cat((K[:Lt_all], apply_rope(K[Lt_all:], cos, sin)), dim=0)
    ln_w, ln_b = W[pre + "ttt.ln_weight"], W[pre + "ttt.ln_bias"]  # [H, d]
    Tg = ln_prime(V - K, ln_w[None], ln_b[None], eps)  # [L, H, d]
    gate = torch.sigmoid(linear(x, W[pre + "ttt.lr_gate.weight"], W[pre + "ttt.lr_gate.bias"]))  # [L, H]
    eta = (cfg.tttBaseLr / d) * gate / b
    S = scan_order(cfg, n)
    if reverse:
        S = S[::-1]
    S = torch.tensor(S)
    # gather in scan order, run the per-head scan, scatter back to the token's own position
    Zs, _ = ttt_scan(W[pre + "ttt.W1"], W[pre + "ttt.b1"], W[pre + "ttt.W2"], W[pre + "ttt.b2"], ln_w, ln_b,
                     Q[S].permute(1, 0, 2), K[S].permute(1, 0, 2), Tg[S].permute(1, 0, 2),
                     eta[S].t().contiguous(), b, eps)
    O = torch.empty(L, H, d)
    O[S] = Zs.permute(1, 0, 2)
    O = O.reshape(L, D)
    O = layer_norm(O, W[pre + "ttt.post_norm.weight"], W[pre + "ttt.post_norm.bias"], eps)
    return linear(O, W[pre + "ttt.o.weight"], W[pre + "ttt.o.bias"])


# ----------------------------------------------------------------------------------------------------------
# Block (§5)
# ----------------------------------------------------------------------------------------------------------
def mlp(u, W, pre):
    h = gelu(linear(u, W[pre + "mlp.fc1.weight"], W[pre + "mlp.fc1.bias"]))
    return linear(h, W[pre + "mlp.fc2.weight"], W[pre + "mlp.fc2.bias"])


def _gate_rows(alpha_text, alpha_video, n_text, n_video):
    """Per-token tanh gate, [n_text + n_video, D]: text rows use the text gate, video rows the video gate."""
    return torch.cat((torch.tanh(alpha_text).expand(n_text, -1), torch.tanh(alpha_video).expand(n_video, -1)))


def block(text, video, c, W, i, cfg, n, use_ttt=True):
    """One block. Returns (text, video, intermediates dict with attn, z, z_prime in [text | video] order).
    use_ttt=False is the local-attention-only block (Z' = X'), used by the self-test."""
    pre = f"blocks.{i}."
    D, eps = cfg.width, cfg.layerNormEps
    nt, nv = text.shape[0], video.shape[0]
    a1 = linear(c, W[pre + "ada_attn.weight"], W[pre + "ada_attn.bias"])
    shift_v, scale_v, gate_v, shift_t, scale_t, gate_t = (a1[j * D : (j + 1) * D] for j in range(6))
    a2 = linear(c, W[pre + "ada_mlp.weight"], W[pre + "ada_mlp.bias"])
    shift2_v, scale2_v, gate2_v, shift2_t, scale2_t, gate2_t = (a2[j * D : (j + 1) * D] for j in range(6))
    g1, b1 = W[pre + "norm1.weight"], W[pre + "norm1.bias"]
    Ht = modulate(text, shift_t, scale_t, g1, b1, eps)
    Hv = modulate(video, shift_v, scale_v, g1, b1, eps)
    Xp = local_attention(Ht, Hv, W, pre, cfg, n)
    if use_ttt:
        Z = Xp + _gate_rows(W[pre + "gate_fwd_text"], W[pre + "gate_fwd_video"], nt, nv) \
            * ttt_layer(Xp, W, pre, cfg, n, reverse=False)
        Zp = Z + _gate_rows(W[pre + "gate_bwd_text"], W[pre + "gate_bwd_video"], nt, nv) \
            * ttt_layer(Z, W, pre, cfg, n, reverse=True)
    else:
        Z = Xp
        Zp = Xp
    text = text + gate_t * Zp[:nt]
    video = video + gate_v * Zp[nt:]
    g2, b2 = W[pre + "norm2.weight"], W[pre + "norm2.bias"]
    Mt = mlp(modulate(text, shift2_t, scale2_t, g2, b2, eps), W, pre)
    Mv = mlp(modulate(video, shift2_v, scale2_v, g2, b2, eps), W, pre)
    text = text + gate2_t * Mt
    video = video + gate2_v * Mv
    return text, video, {"attn": Xp, "z": Z, "z_prime": Zp}


# ----------------------------------------------------------------------------------------------------------
# Forward (§5)
# ----------------------------------------------------------------------------------------------------------
def forward(x, t, text_embeddings, W, cfg):
    """x [T, C, H, W], t integer DDPM index, text_embeddings [n, Lt, TextDim] → (F [T, C, H, W], temb [Dt])."""
    n = text_embeddings.shape[0]
    T = x.shape[0]
    assert T == cfg.frames(n), f"T={T} but n={n} segments need {cfg.frames(n)} frames"
    temb = time_embed(t, W, cfg)
    c = silu(temb)
    video = patch_embed(x, W, cfg)
    text = text_proj(text_embeddings, W)
    for i in range(cfg.layers):
        text, video, _ = block(text, video, c, W, i, cfg, n)
    out = final_layer(video, c, W, cfg)
    return unpatchify(out, T, cfg), temb


# ----------------------------------------------------------------------------------------------------------
# Sampler (§6): v-prediction DDIM (η = 0), ZeroSNR, CFG schedule
# ----------------------------------------------------------------------------------------------------------
def sampler_schedule(N, guidance, guidance_power):
    """Returns (t list of N ints, a float64 [N+1], sigma float64 [N+1], s float64 [N])."""
    i = torch.arange(1000, dtype=torch.float64)
    beta = (math.sqrt(0.00085) + i / 999.0 * (math.sqrt(0.012) - math.sqrt(0.00085))) ** 2
    abar = torch.cumprod(1.0 - beta, dim=0)
    ts = [(999 * (N - k)) // N for k in range(N)]
    a = torch.sqrt(abar[torch.tensor(ts)])
    a_first = a[N - 1].item()  # a at the smallest t
    a_last = a[0].item()  # a at t_0 = 999
    a = (a - a_last) * a_first / (a_first - a_last)
    a = torch.cat((a, torch.ones(1, dtype=torch.float64)))
    sigma = torch.sqrt(1.0 - a * a)
    k = torch.arange(N, dtype=torch.float64)
    s = 1.0 + guidance * (1.0 - torch.cos(math.pi * (k / N) ** guidance_power)) / 2.0
    return ts, a, sigma, s


def sample(noise, cond, uncond, steps, guidance, guidance_power, W, cfg):
    """Returns (final x, list of x after each step, schedule)."""
    ts, a64, sig64, s64 = sampler_schedule(steps, guidance, guidance_power)
    a = a64.to(work_dtype())
    sig = sig64.to(work_dtype())
    s = s64.to(work_dtype())
    x = noise.clone()
    trajectory = []
    for i in range(steps):
        # cond and uncond as a batch of 2: the two model calls are independent
        F_c, _ = forward(x, ts[i], cond, W, cfg)
        F_u, _ = forward(x, ts[i], uncond, W, cfg)
        D_c = a[i] * x - sig[i] * F_c
        D_u = a[i] * x - sig[i] * F_u
        Dn = D_u + s[i] * (D_c - D_u)
        x = a[i + 1] * Dn + sig[i + 1] * (x - a[i] * Dn) / sig[i]
        trajectory.append(x.clone())
    return x, trajectory, (ts, a, sig, s)


# ----------------------------------------------------------------------------------------------------------
# §3 weight names and shapes
# ----------------------------------------------------------------------------------------------------------
def weight_shapes(cfg):
    """{name: shape} of every weight of §3."""
    D, H, d, Dt = cfg.width, cfg.heads, cfg.headDim, cfg.timeEmbedDim
    C, p = cfg.latentChannels, cfg.patch
    s = {
        "time_embed.fc1.weight": [Dt, D], "time_embed.fc1.bias": [Dt],
        "time_embed.fc2.weight": [Dt, Dt], "time_embed.fc2.bias": [Dt],
        "patch_embed.weight": [D, C, p, p], "patch_embed.bias": [D],
        "text_proj.weight": [D, cfg.textDim], "text_proj.bias": [D],
        "final_norm.weight": [D], "final_norm.bias": [D],
        "final.ada.weight": [2 * D, Dt], "final.ada.bias": [2 * D],
        "final.linear.weight": [C * p * p, D], "final.linear.bias": [C * p * p],
    }
    for i in range(cfg.layers):
        b = f"blocks.{i}."
        s[b + "norm1.weight"] = [D]
        s[b + "norm1.bias"] = [D]
        s[b + "ada_attn.weight"] = [6 * D, Dt]
        s[b + "ada_attn.bias"] = [6 * D]
        for m in ("attn", "ttt"):
            for x in "qkvo":
                s[b + f"{m}.{x}.weight"] = [D, D]
                s[b + f"{m}.{x}.bias"] = [D]
        for x in ("norm_q", "norm_k"):
            s[b + f"attn.{x}.weight"] = [d]
            s[b + f"attn.{x}.bias"] = [d]
        s[b + "ttt.W1"] = [H, d, 4 * d]
        s[b + "ttt.b1"] = [H, 4 * d]
        s[b + "ttt.W2"] = [H, 4 * d, d]
        s[b + "ttt.b2"] = [H, d]
        s[b + "ttt.ln_weight"] = [H, d]
        s[b + "ttt.ln_bias"] = [H, d]
        s[b + "ttt.lr_gate.weight"] = [H, D]
        s[b + "ttt.lr_gate.bias"] = [H]
        s[b + "ttt.post_norm.weight"] = [D]
        s[b + "ttt.post_norm.bias"] = [D]
        for g in ("gate_fwd_text", "gate_fwd_video", "gate_bwd_text", "gate_bwd_video"):
            s[b + g] = [D]
        s[b + "norm2.weight"] = [D]
        s[b + "norm2.bias"] = [D]
        s[b + "ada_mlp.weight"] = [6 * D, Dt]
        s[b + "ada_mlp.bias"] = [6 * D]
        s[b + "mlp.fc1.weight"] = [cfg.mlpHidden, D]
        s[b + "mlp.fc1.bias"] = [cfg.mlpHidden]
        s[b + "mlp.fc2.weight"] = [D, cfg.mlpHidden]
        s[b + "mlp.fc2.bias"] = [D]
    return s
