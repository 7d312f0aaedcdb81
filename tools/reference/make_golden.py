"""Regenerates every golden file under tests/golden/ (relative to the repository root).

    /usr/bin/python3 tools/reference/make_golden.py

Runs check_gradient.py and self_test.py first and aborts if either fails; afterwards precision_check.py reads
the files back and prints how far each fp32 golden is from a float64 recomputation. Deterministic (fixed seeds).
See tools/reference/README.md for what each file holds.
"""
import copy
import hashlib
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_gradient  # noqa: E402
import precision_check  # noqa: E402
import self_test  # noqa: E402
import ttt_model as M  # noqa: E402
from random_weights import random_weights  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "golden")
WEIGHTS_FILE = "tiny_weights.safetensors"
SHIPPED_MODEL = os.path.join("models", "tiny.safetensors")
# The first scenes of examples/one-minute.yaml: the shipped model's own kind of text.
SHIPPED_TEXTS = ["On a black background, a white ball sits in the bottom left corner.",
                 "Against a black backdrop, the ball rolls to the right.",
                 "The background is blue. An orange square rests in the bottom right corner; "
                 "the ball rolls to the right from the top left corner."]


def rel(a, b):
    return ((a - b).abs().max() / max(b.abs().max().item(), 1e-30)).item()


def write(name, tensors, metadata=None):
    path = os.path.join(OUT, name)
    for k, v in tensors.items():
        assert v.dtype == torch.float32, f"{name}:{k} is {v.dtype}"
        assert torch.isfinite(v).all(), f"{name}:{k} has non-finite values"
    save_file(tensors, path, metadata)
    back, meta = load_file(path)
    assert sorted(back) == sorted(tensors) and meta == (metadata or {}), f"{path}: read-back mismatch"
    for k in tensors:
        assert torch.equal(back[k], tensors[k]), f"{path}: read-back mismatch in {k}"
    print(f"  wrote {os.path.relpath(path, REPO)} ({os.path.getsize(path):,} bytes, {len(tensors)} tensors)")


def golden_config():
    cfg = M.TttConfig.tiny()
    cfg.tttBaseLr = 4.0  # larger than Tiny's 0.1 so that the inner updates change the outputs measurably
    cfg.validate()
    return cfg


# ----------------------------------------------------------------------------------------------------------
def make_weights(cfg):
    W = random_weights(cfg, seed=20250101)
    shapes = M.weight_shapes(cfg)
    assert sorted(W) == sorted(shapes)
    for k, s in shapes.items():
        assert list(W[k].shape) == s, k
    write(WEIGHTS_FILE, W, {"ttt_config": cfg.to_json()})
    return W


def make_ttt_scan(case, H, d, L, b, seed):
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    weights = {
        "W1": randn(H, d, 4 * d, std=0.3 / d ** 0.5),
        "b1": randn(H, 4 * d, std=0.05),
        "W2": randn(H, 4 * d, d, std=0.3 / (4 * d) ** 0.5),
        "b2": randn(H, d, std=0.05),
        "ln_weight": randn(H, d, std=0.1, mean=1.0),
        "ln_bias": randn(H, d, std=0.1),
    }
    inputs = {
        "XQ": M.l2_normalise(randn(H, L, d)),
        "XK": M.l2_normalise(randn(H, L, d)),
        "XV": randn(H, L, d),
        "eta": torch.rand(H, L, generator=g) * 0.05,
    }
    eps = golden_config().layerNormEps
    Tg = inputs["XV"] - inputs["XK"]  # §7: the inner target is XV − XK, used as Tg directly
    args = [weights[k] for k in ("W1", "b1", "W2", "b2", "ln_weight", "ln_bias")]
    Z, (W1, b1, W2, b2) = M.ttt_scan(*args, inputs["XQ"], inputs["XK"], Tg, inputs["eta"], b, eps)
    Z0, _ = M.ttt_scan(*args, inputs["XQ"], inputs["XK"], Tg, torch.zeros_like(inputs["eta"]), b, eps)
    print(f"  {case}: L={L}, b={b}, last mini-batch {L - (L - 1) // b * b} tokens; "
          f"rel change of Z by the inner updates {rel(Z, Z0):.3f}, of W1 {rel(W1, weights['W1']):.3f}")
    write(f"{case}.weights.safetensors", weights)
    write(f"{case}.inputs.safetensors", inputs, {"mini_batch": str(b)})
    write(f"{case}.expected.safetensors", {"Z": Z, "W1": W1, "b1": b1, "W2": W2, "b2": b2})


def make_block(W, cfg):
    n = 2
    g = torch.Generator().manual_seed(202)
    T = cfg.frames(n)
    text = torch.randn(n * cfg.textTokensPerSegment, cfg.width, generator=g)
    video = torch.randn(T * cfg.tokens_per_frame, cfg.width, generator=g)
    temb = torch.randn(cfg.timeEmbedDim, generator=g)
    t_out, v_out, inter = M.block(text, video, M.silu(temb), W, 0, cfg, n)
    L = cfg.tokens(n)
    print(f"  block_n2: {L} tokens ({L % cfg.miniBatch} in the last mini-batch); rel |Z - X'| "
          f"{rel(inter['z'], inter['attn']):.3f}, rel |Z' - Z| {rel(inter['z_prime'], inter['z']):.3f}")
    write("block_n2.safetensors", {
        "text": text, "video": video, "temb": temb,
        "expected.attn": inter["attn"], "expected.z": inter["z"], "expected.z_prime": inter["z_prime"],
        "expected.text": t_out, "expected.video": v_out,
    }, {"segments": str(n), "block": "0", "weights": WEIGHTS_FILE})


def make_forward(W, cfg, n, seed):
    g = torch.Generator().manual_seed(seed)
    t = 617
    T = cfg.frames(n)
    x = torch.randn(T, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth, generator=g)
    te = torch.randn(n, cfg.textTokensPerSegment, cfg.textDim, generator=g)
    Fo, temb = M.forward(x, t, te, W, cfg)
    cfg0 = copy.deepcopy(cfg)
    cfg0.tttBaseLr = 0.0
    F0, _ = M.forward(x, t, te, W, cfg0)
    print(f"  forward_n{n}: rel change of F by the inner updates (vs tttBaseLr=0) {rel(Fo, F0):.3f}")
    write(f"forward_n{n}.safetensors", {"x": x, "text_embeddings": te, "expected.temb": temb, "expected.F": Fo},
          {"segments": str(n), "t": str(t), "weights": WEIGHTS_FILE})


def make_sample(W, cfg):
    n, steps, S, p = 3, 4, 3.0, 1.0
    g = torch.Generator().manual_seed(404)
    T = cfg.frames(n)
    noise = torch.randn(T, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth, generator=g)
    cond = torch.randn(n, cfg.textTokensPerSegment, cfg.textDim, generator=g)
    uncond = torch.randn(n, cfg.textTokensPerSegment, cfg.textDim, generator=g)
    x, traj, (ts, a, sig, s) = M.sample(noise, cond, uncond, steps, S, p, W, cfg)
    print(f"  sample4_n3: t = {ts}, a = {[round(v, 6) for v in a.tolist()]}, cfg = {[round(v, 4) for v in s.tolist()]}")
    tensors = {"noise": noise, "cond": cond, "uncond": uncond, "expected.x": x,
               "expected.t": torch.tensor(ts, dtype=torch.float32), "expected.a": a, "expected.cfg_scale": s}
    for i, xi in enumerate(traj):
        tensors[f"expected.x_step{i}"] = xi
    write("sample4_n3.safetensors", tensors,
          {"segments": str(n), "steps": str(steps), "guidance": "3.0", "guidance_power": "1.0",
           "weights": WEIGHTS_FILE})


def make_shipped_sample():
    """The shipped model (models/tiny.safetensors, trained by tools/train) through the same 4-step CFG sampler, on
    three storyboard scenes: golden parity on the weights users render with, not only on random ones. The text
    embeddings are the file's text_encoder tables indexed by the word-hash tokenizer (tools/train/tokenizer.py, a
    port of the C# WordTokenizer); the C# test checks its own encoder against them as well. The file's sha256 is
    in the metadata, so a new model without a new golden fails with a clear message instead of a wrong number.
    Also three video frames of the final latents through the file's decoder (tools/train's PyTorch port of
    TinyDecoder): the first, one blended between two latent frames, and the last."""
    sys.path.insert(0, os.path.join(REPO, "tools", "train"))
    from tokenizer import encode_ids
    from batched_model import decode_video_frame
    path = os.path.join(REPO, SHIPPED_MODEL)
    tensors, meta = load_file(path)
    cfg = M.TttConfig.from_json(meta["ttt_config"])
    W = {k: tensors[k] for k in M.weight_shapes(cfg)}
    vocabulary = json.loads(meta["ttt_text_encoder"])["vocabularySize"]
    n, steps, S, p = len(SHIPPED_TEXTS), 4, 4.0, 1.0

    def embed(texts):
        ids = torch.tensor([encode_ids(t, vocabulary, cfg.textTokensPerSegment) for t in texts])
        return tensors["text_encoder.token_embedding"][ids] + tensors["text_encoder.position_embedding"]

    cond, uncond = embed(SHIPPED_TEXTS), embed([""] * n)
    noise = torch.randn(cfg.frames(n), cfg.latentChannels, cfg.latentHeight, cfg.latentWidth,
                        generator=torch.Generator().manual_seed(606))
    with torch.no_grad():
        x, traj, _ = M.sample(noise, cond, uncond, steps, S, p, W, cfg)
    out = {"noise": noise, "cond": cond, "uncond": uncond, "expected.x": x}
    for i, xi in enumerate(traj):
        out[f"expected.x_step{i}"] = xi
    decoder = json.loads(meta["ttt_decoder"])
    per_latent = decoder["framesPerLatentFrame"]
    frames = [0, per_latent + per_latent // 2 + 1, (x.shape[0] - 1) * per_latent]
    with torch.no_grad():
        for f in frames:
            out[f"expected.frame{f}"] = decode_video_frame(x, f, per_latent, tensors, decoder["upscale"]).contiguous()
    with open(path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    write("shipped_sample4_n3.safetensors", out,
          {"segments": str(n), "steps": str(steps), "guidance": str(S), "guidance_power": str(p),
           "weights": SHIPPED_MODEL, "weights_sha256": sha256, "texts": json.dumps(SHIPPED_TEXTS),
           "decoded_frames": json.dumps(frames)})


def main():
    torch.set_num_threads(1)
    if check_gradient.main() != 0:
        print("make_golden: gradient check FAILED, no goldens written")
        return 1
    if self_test.main() != 0:
        print("make_golden: self_test FAILED, no goldens written")
        return 1
    os.makedirs(OUT, exist_ok=True)
    cfg = golden_config()
    print(f"make_golden: config {cfg.to_json()}")
    W = make_weights(cfg)
    make_ttt_scan("ttt_scan_even", H=4, d=16, L=288, b=16, seed=301)
    make_ttt_scan("ttt_scan_partial", H=4, d=16, L=200, b=16, seed=302)
    make_block(W, cfg)
    make_forward(W, cfg, 3, seed=503)
    make_forward(W, cfg, 2, seed=502)
    make_sample(W, cfg)
    make_shipped_sample()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".safetensors"))
    print(f"make_golden: done, {total:,} bytes in {os.path.relpath(OUT, REPO)}")
    return precision_check.main()  # reads the files back; informative (how much fp32 rounding noise each holds)


if __name__ == "__main__":
    sys.exit(main())
