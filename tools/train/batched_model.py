"""The TTT-DiT of docs/MODEL.md for training: the same function as tools/reference/ttt_model.py, batched over stories
(all of one length) and vectorised over windows and heads, so autograd runs a few thousand ops a step instead of
tens of thousands. It reuses the reference's small ops (LayerNorm, LN′, GELU, RoPE tables, sinusoid, scan order,
schedule) so the two cannot drift apart in the details; check_batched.py compares the two forward passes.

Also here: the Tiny text encoder (hashed word ids → embeddings, src/TttCluster.Model/Text) and the Tiny decoder
(src/TttCluster.Model/Decoding/TinyDecoder.cs), whose weights live in the same model file, and the encoder that only
training needs. Shapes: B stories, n segments, T = 1 + F·n latent frames, L = n·Lt + T·P tokens.
"""
import math
import os
import sys

import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import ttt_model as ref  # noqa: E402
from ttt_model import layer_norm, ln_prime, gelu, gelu_prime, silu, l2_normalise  # noqa: E402,F401


def linear(x, W, name):
    return x @ W[name + ".weight"].t() + W[name + ".bias"]


# ----------------------------------------------------------------------------------------------------------------
# Embeddings (§5)
# ----------------------------------------------------------------------------------------------------------------
def time_embed(t, W, cfg):
    """t: list of B integer DDPM indices → temb [B, Dt]."""
    s = torch.stack([ref.time_sinusoid(ti, cfg.width) for ti in t])                  # (B, D)
    return linear(silu(linear(s, W, "time_embed.fc1")), W, "time_embed.fc2")        # (B, Dt)


def patchify(x, cfg):
    """[B, T, C, H, W] → [B, T·P, C·p·p], patch vector in (c, py, px) order."""
    B, T, C, Hh, Ww = x.shape
    p = cfg.patch
    x = x.reshape(B, T, C, Hh // p, p, Ww // p, p).permute(0, 1, 3, 5, 2, 4, 6)   # (B, T, i, j, c, py, px)
    return x.reshape(B, T * (Hh // p) * (Ww // p), C * p * p)


def unpatchify(out, T, cfg):
    B = out.shape[0]
    p, C, hp, wp = cfg.patch, cfg.latentChannels, cfg.patch_rows, cfg.patch_cols
    x = out.reshape(B, T, hp, wp, C, p, p).permute(0, 1, 4, 2, 5, 3, 6)            # (B, T, c, i, py, j, px)
    return x.reshape(B, T, C, hp * p, wp * p)


def rope(x, cos, sin):
    """x [..., Lv, H, d] with cos/sin [Lv, d/2]: the reference's adjacent-pair rotation, batched."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).reshape(x.shape)


# ----------------------------------------------------------------------------------------------------------------
# Local attention (§5), all windows of all stories at once
# ----------------------------------------------------------------------------------------------------------------
def local_attention(Ht, Hv, W, pre, cfg, n):
    """Ht [B, n·Lt, D], Hv [B, T·P, D] → X' [B, L, D] in [text | video] order."""
    B, D = Ht.shape[0], cfg.width
    H, d, F, Lt, P, eps = cfg.heads, cfg.headDim, cfg.framesPerSegment, cfg.textTokensPerSegment, cfg.tokens_per_frame, cfg.layerNormEps
    frames = Hv.reshape(B, -1, P, D)                                                  # (B, T, P, D)
    video_w = torch.stack([frames[:, F * k:F * k + F + 1] for k in range(n)], 1)     # (B, n, F+1, P, D)
    xw = torch.cat((Ht.reshape(B, n, Lt, D), video_w.reshape(B, n, (F + 1) * P, D)), 2)  # (B, n, Lw, D)
    Lw = xw.shape[2]
    q = layer_norm(linear(xw, W, pre + "attn.q").reshape(B, n, Lw, H, d), W[pre + "attn.norm_q.weight"], W[pre + "attn.norm_q.bias"], eps)
    k = layer_norm(linear(xw, W, pre + "attn.k").reshape(B, n, Lw, H, d), W[pre + "attn.norm_k.weight"], W[pre + "attn.norm_k.bias"], eps)
    v = linear(xw, W, pre + "attn.v").reshape(B, n, Lw, H, d)
    cos, sin = ref.rope_tables(*ref.video_positions(cfg, range(F + 1)), cfg)         # local frame 0..F
    q = torch.cat((q[:, :, :Lt], rope(q[:, :, Lt:], cos, sin)), 2)
    k = torch.cat((k[:, :, :Lt], rope(k[:, :, Lt:], cos, sin)), 2)
    q, k, v = (a.permute(0, 1, 3, 2, 4) for a in (q, k, v))                          # (B, n, H, Lw, d)
    probs = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(d), dim=-1)           # (B, n, H, Lw, Lw)
    o = linear((probs @ v).permute(0, 1, 3, 2, 4).reshape(B, n, Lw, D), W, pre + "attn.o")  # (B, n, Lw, D)
    text = o[:, :, :Lt].reshape(B, n * Lt, D)
    ov = o[:, :, Lt:].reshape(B, n, F + 1, P, D)
    # Frames F·k+1 .. F·k+F are window k's; the shared frame F·k (k ≥ 1) is the mean of windows k−1 and k.
    last = ov[:, :, F]                                                                # (B, n, P, D)
    last = torch.cat(((last[:, :n - 1] + ov[:, 1:, 0]) * 0.5, last[:, n - 1:]), 1)   # shared frames averaged
    own = torch.cat((ov[:, :, 1:F], last[:, :, None]), 2).reshape(B, n * F * P, D)   # (B, n·F·P, D)
    video = torch.cat((ov[:, 0, 0], own), 1)                                          # (B, T·P, D)
    return torch.cat((text, video), 1)


# ----------------------------------------------------------------------------------------------------------------
# TTT (§5): the reference's minibatch_step, batched over stories × heads
# ----------------------------------------------------------------------------------------------------------------
def ttt_scan(state, gamma, beta, Q, K, Tg, eta, b, eps):
    """state (W1 [N,d,4d], b1 [N,4d], W2 [N,4d,d], b2 [N,d]); gamma, beta [N, d]; Q, K, Tg [N, L, d]; eta [N, L].
    Mini-batches of b tokens from the start, the last may be partial. Returns Z [N, L, d]."""
    W1, b1, W2, b2 = state
    d = Q.shape[-1]
    g, be = gamma[:, None], beta[:, None]
    outs = []
    # torch.split rather than a slice per mini-batch: each slice's backward writes a zero tensor as long as the whole
    # sequence (quadratic in the story's length, a sixth of a long-story step); split's backward is one concatenation.
    for Kb, Qb, Tb, eb in zip(*(torch.split(a, b, dim=1) for a in (K, Q, Tg, eta[..., None]))):
        Z1 = torch.baddbmm(b1[:, None], Kb, W1)
        A1, dA1 = gelu_and_prime(Z1)
        Xh, s = ref.ln_stats(torch.baddbmm(b2[:, None], A1, W2), eps)
        Gx = g * (g * Xh + be - Tb)
        G2 = (d * Gx - Gx.sum(-1, keepdim=True) - Xh * (Gx * Xh).sum(-1, keepdim=True)) / (d * s)
        G1 = (G2 @ W2.transpose(1, 2)) * dA1
        eG2, eG1 = eb * G2, eb * G1
        W2 = torch.baddbmm(W2, A1.transpose(1, 2), eG2, alpha=-1)
        b2 = b2 - eG2.sum(1)
        W1 = torch.baddbmm(W1, Kb.transpose(1, 2), eG1, alpha=-1)
        b1 = b1 - eG1.sum(1)
        Xq, _ = ref.ln_stats(torch.baddbmm(b2[:, None], gelu(torch.baddbmm(b1[:, None], Qb, W1)), W2), eps)
        outs.append(Qb + (g * Xq + be))
    return torch.cat(outs, 1)


def gelu_and_prime(u):
    """(gelu(u), gelu′(u)) of the reference with one tanh: the scan needs both at every mini-batch."""
    t = torch.tanh(ref.GELU_C * (u + ref.GELU_A * u * u * u))
    return 0.5 * u * (1.0 + t), 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * ref.GELU_C * (1.0 + 3.0 * ref.GELU_A * u * u)


def ttt_layer(x, W, pre, cfg, n, reverse):
    """x [B, L, D] in [text | video] order → [B, L, D]."""
    B, L, D = x.shape
    H, d, b, eps = cfg.heads, cfg.headDim, cfg.miniBatch, cfg.layerNormEps
    nt = n * cfg.textTokensPerSegment
    Q = l2_normalise(linear(x, W, pre + "ttt.q").reshape(B, L, H, d))
    K = l2_normalise(linear(x, W, pre + "ttt.k").reshape(B, L, H, d))
    V = linear(x, W, pre + "ttt.v").reshape(B, L, H, d)
    cos, sin = ref.rope_tables(*ref.video_positions(cfg, range(cfg.frames(n))), cfg)  # global frame index
    Q = torch.cat((Q[:, :nt], rope(Q[:, nt:], cos, sin)), 1)
    K = torch.cat((K[:, :nt], rope(K[:, nt:], cos, sin)), 1)
    ln_w, ln_b = W[pre + "ttt.ln_weight"], W[pre + "ttt.ln_bias"]                    # (H, d)
    Tg = ln_prime(V - K, ln_w, ln_b, eps)                                             # (B, L, H, d)
    eta = (cfg.tttBaseLr / d) * torch.sigmoid(linear(x, W, pre + "ttt.lr_gate")) / b  # (B, L, H)
    S = torch.tensor(ref.scan_order(cfg, n)[::-1] if reverse else ref.scan_order(cfg, n))
    heads = lambda a: a[:, S].permute(0, 2, 1, 3).reshape(B * H, L, d)                # (B·H, L, d) in scan order
    expand = lambda w: w.unsqueeze(0).expand(B, *w.shape).reshape(B * H, *w.shape[1:])
    state = tuple(expand(W[pre + "ttt." + p]) for p in ("W1", "b1", "W2", "b2"))
    Z = ttt_scan(state, expand(ln_w), expand(ln_b), heads(Q), heads(K), heads(Tg),
                 eta[:, S].permute(0, 2, 1).reshape(B * H, L), b, eps)
    O = Z.reshape(B, H, L, d).permute(0, 2, 1, 3)[:, torch.argsort(S)].reshape(B, L, D)  # back to own positions
    O = layer_norm(O, W[pre + "ttt.post_norm.weight"], W[pre + "ttt.post_norm.bias"], eps)
    return linear(O, W, pre + "ttt.o")


# ----------------------------------------------------------------------------------------------------------------
# Block, final layer, forward (§5)
# ----------------------------------------------------------------------------------------------------------------
def block(text, video, c, W, i, cfg, n):
    pre, D, eps = f"blocks.{i}.", cfg.width, cfg.layerNormEps
    nt = text.shape[1]
    shift_v, scale_v, gate_v, shift_t, scale_t, gate_t = linear(c, W, pre + "ada_attn")[:, None].split(D, -1)
    shift2_v, scale2_v, gate2_v, shift2_t, scale2_t, gate2_t = linear(c, W, pre + "ada_mlp")[:, None].split(D, -1)
    g1, b1 = W[pre + "norm1.weight"], W[pre + "norm1.bias"]
    Xp = local_attention(layer_norm(text, g1, b1, eps) * (1 + scale_t) + shift_t,
                         layer_norm(video, g1, b1, eps) * (1 + scale_v) + shift_v, W, pre, cfg, n)
    gates = lambda a_text, a_video: torch.cat((torch.tanh(W[pre + a_text]).expand(nt, D),
                                               torch.tanh(W[pre + a_video]).expand(Xp.shape[1] - nt, D)))
    Z = Xp + gates("gate_fwd_text", "gate_fwd_video") * ttt_layer(Xp, W, pre, cfg, n, reverse=False)
    Zp = Z + gates("gate_bwd_text", "gate_bwd_video") * ttt_layer(Z, W, pre, cfg, n, reverse=True)
    text = text + gate_t * Zp[:, :nt]
    video = video + gate_v * Zp[:, nt:]
    g2, b2 = W[pre + "norm2.weight"], W[pre + "norm2.bias"]
    mlp = lambda u: linear(gelu(linear(u, W, pre + "mlp.fc1")), W, pre + "mlp.fc2")
    text = text + gate2_t * mlp(layer_norm(text, g2, b2, eps) * (1 + scale2_t) + shift2_t)
    video = video + gate2_v * mlp(layer_norm(video, g2, b2, eps) * (1 + scale2_v) + shift2_v)
    return text, video


def forward(x, t, text_embeddings, W, cfg):
    """x [B, T, C, H, W], t list of B ints, text_embeddings [B, n, Lt, TextDim] → F [B, T, C, H, W]."""
    B, n, Lt, _ = text_embeddings.shape
    T, D, eps = x.shape[1], cfg.width, cfg.layerNormEps
    c = silu(time_embed(t, W, cfg))                                                   # (B, Dt)
    w = W["patch_embed.weight"]
    video = patchify(x, cfg) @ w.reshape(w.shape[0], -1).t() + W["patch_embed.bias"]  # (B, T·P, D)
    text = linear(text_embeddings.reshape(B, n * Lt, -1), W, "text_proj")            # (B, n·Lt, D)
    for i in range(cfg.layers):
        text, video = block(text, video, c, W, i, cfg, n)
    shift, scale = linear(c, W, "final.ada")[:, None].split(D, -1)
    h = layer_norm(layer_norm(video, W["final_norm.weight"], W["final_norm.bias"], eps), None, None, eps)
    return unpatchify(linear(h * (1 + scale) + shift, W, "final.linear"), T, cfg)


# ----------------------------------------------------------------------------------------------------------------
# Text encoder and decoder of the Tiny model file; the training-only encoder
# ----------------------------------------------------------------------------------------------------------------
def encode_text(ids, W):
    """ids [..., Lt] (long) → [..., Lt, TextDim]: token embedding + position embedding (HashedTextEncoder)."""
    return W["text_encoder.token_embedding"][ids] + W["text_encoder.position_embedding"]


def decode(z, W, upscale):
    """Latent frames z [N, C, h, w] → RGB [N, 3, h·u, w·u] in [0, 1], as TinyDecoder does at a video frame that
    falls on a latent frame: bilinear upsampling with pixel centres aligned and edges clamped (torch's
    align_corners=False), then per pixel fc1, tanh-GELU, fc2, sigmoid."""
    up = Fn.interpolate(z, scale_factor=upscale, mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
    rgb = torch.sigmoid(linear(gelu(linear(up, W, "decoder.fc1")), W, "decoder.fc2"))
    return rgb.permute(0, 3, 1, 2)


def decode_video_frame(z, f, frames_per_latent, W, upscale):
    """Video frame f of latents z [T, C, h, w]: TinyDecoder's blend of latent frames ⌊f/S⌋ and ⌊f/S⌋+1."""
    t0 = f // frames_per_latent
    blend = (f % frames_per_latent) / frames_per_latent if t0 + 1 < z.shape[0] else 0.0
    zz = z[t0] if blend == 0.0 else (1 - blend) * z[t0] + blend * z[t0 + 1]
    return decode(zz[None], W, upscale)[0]


def encode_frames(frames, E, upscale):
    """Training-only encoder, RGB [N, 3, H, W] → latents [N, C, H/u, W/u]. The frame is averaged over 4 × 4 pixels
    first (the objects are tens of pixels wide, and it makes the convolution 16 times cheaper); a convolution of
    stride u/4 then sees each latent pixel's own block and half of each neighbour's (the decoder's bilinear
    upsampling mixes neighbours, so the best code for a pixel depends on them), and a per-pixel MLP makes the code.
    Not part of the model file: `ttt render` only decodes.

    With E["enc.objectness"] = s (train.py --ae-objectness), the last channel is not learnt: it is s times the share
    of the latent pixel's block that objects cover (object_mask). Why: the latents of the eight colours average to
    about 0, so where an object is, apart from its colour, moves a denoiser's best answer at pure noise by almost
    nothing, and a model that cannot yet tell the colour learns nothing of the place (tools/train/README.md, "The
    world at pure noise"). With this channel, "an object here" is a target of its own that the text's place words
    alone predict; the decoder learns to read it, or not."""
    pooled = Fn.avg_pool2d(frames, 4)
    k = E["enc.conv.weight"].shape[-1]                                 # 2 · u/4: own block plus half a neighbour
    h = Fn.conv2d(pooled, E["enc.conv.weight"], E["enc.conv.bias"], stride=upscale // 4, padding=(k - upscale // 4) // 2)
    h = gelu(h).permute(0, 2, 3, 1)                                    # (N, h, w, hidden)
    z = linear(gelu(linear(h, E, "enc.fc1")), E, "enc.fc2").permute(0, 3, 1, 2)
    if "enc.objectness" in E:
        coverage = Fn.avg_pool2d(object_mask(frames), upscale)                  # (N, 1, h, w) in [0, 1]
        z = torch.cat([z[:, :-1], E["enc.objectness"] * coverage], dim=1)
    return z


def object_mask(frames):
    """[N, 1, H, W]: 1 where a pixel is not its frame's background colour (the frame's median pixel, as the detector
    measures it), 0 elsewhere."""
    bg = frames.flatten(2).median(dim=2).values[:, :, None, None]                          # (N, 3, 1, 1)
    return ((frames - bg).abs().amax(dim=1, keepdim=True) > 0.01).float()
