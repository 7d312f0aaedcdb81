"""Trains the Tiny TTT-DiT of docs/MODEL.md on the storyboard world, on the CPU, and writes a model file that
`ttt render` runs unchanged. See tools/train/README.md for the plan, timings and the commands.

Phases (each resumable from its checkpoint under --run, which git ignores):
  ae      a training-only encoder and the model file's decoder (decoder.fc1/fc2) as an autoencoder on the world's
          frames; then the latents' per-channel mean and std, so the denoiser works on unit-scale latents
  dit     the text embedding and the DiT (TTT layers included) denoising the encoder's latents, v-prediction on the
          sampler's own timestep grid, uncond text "" for classifier-free guidance, EMA of the weights
  tune    (--tune-steps N) from the dit phase's EMA weights, the same loss with the latent pixels an object covers
          weighted --tune-object-weight; --dit-from FILE starts it from a model file the dit phase exported
  export  the EMA weights + text encoder + decoder (latent normalisation folded into decoder.fc1) as safetensors,
          with the configs and how it was trained in the metadata

  OMP_WAIT_POLICY=PASSIVE LD_PRELOAD=libtcmalloc_minimal.so.4 /usr/bin/python3 tools/train/train.py \
      --run tools/train/runs/NAME --seed 1 --ae-steps 1500 --dit-steps 5200 --out FILE.safetensors
  (the shipped file's command; README.md, "Object tuning", for what --tune-steps 3000 did to it)
"""
import argparse
import csv
import dataclasses
import datetime
import json
import math
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import data  # noqa: E402
import eval_storyboard as ev  # noqa: E402
import storyboard_frames as sf  # noqa: E402
from batched_model import ref  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402  (tools/reference)

BASE_MODEL = os.path.join(ROOT, "models", "tiny.safetensors")  # the configs come from the shipped file
ENCODER_HIDDEN = 64


# ----------------------------------------------------------------------------------------------------------------
# Initialisation
# ----------------------------------------------------------------------------------------------------------------
def init_autoencoder(seed, cfg, dec, objectness=0.0):
    """Encoder (training only) and the Tiny decoder; PyTorch's default Linear/Conv scale, 1/sqrt(fan_in).
    objectness > 0: the encoder's last latent channel is not learnt but set (batched_model.encode_frames)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *shape: (torch.rand(shape, generator=g) * 2 - 1) / math.sqrt(math.prod(shape[1:]))
    C = cfg.latentChannels
    P = {"enc.conv.weight": u(ENCODER_HIDDEN, 3, 8, 8), "enc.conv.bias": torch.zeros(ENCODER_HIDDEN),
         "enc.fc1.weight": u(ENCODER_HIDDEN, ENCODER_HIDDEN), "enc.fc1.bias": torch.zeros(ENCODER_HIDDEN),
         "enc.fc2.weight": u(C, ENCODER_HIDDEN), "enc.fc2.bias": torch.zeros(C),
         "decoder.fc1.weight": u(dec["hidden"], C), "decoder.fc1.bias": torch.zeros(dec["hidden"]),
         "decoder.fc2.weight": u(3, dec["hidden"]), "decoder.fc2.bias": torch.zeros(3)}
    P = {k: v.requires_grad_() for k, v in P.items()}
    if objectness:
        P["enc.objectness"] = torch.tensor(float(objectness))                   # a setting, not trained (no grad)
    return P


def rope_fast_channels(cfg):
    """A head's channels of the fastest RoPE pair of each axis (t, h, w; 1 radian a position, docs/MODEL.md §4)."""
    d_t, d_h, _ = cfg.rope_split()
    return [c for start in (0, d_t, d_t + d_h) for c in (start, start + 1)]


def init_dit(seed, cfg, vocabulary, rope_gain=1.0, text_positions="random", qk_gain=1.0):
    """DiT's recipe (Peebles & Xie 2023): Xavier-uniform Linear weights, zero biases, N(0, 0.02) time embedding,
    adaLN-Zero (every ada* layer and the final linear start at zero, so each block starts as the identity). TTT
    inner weights N(0, 0.02), LN γ = 1, β = 0, the four tanh gates at GateInit (MODEL.md §1). Text embeddings
    N(0, 1) for tokens, N(0, 0.1) for positions (the token tells the scene apart; position is a lesser cue).

    rope_gain: the attention's query and key LayerNorm γ on the channels of the fastest RoPE pairs
    (`rope_fast_channels`). At pure noise a video token knows where it is only through RoPE turning its query
    against a text word's unrotated key, and only those pairs turn by a usable angle over 4 × 6 patches (the slower
    ones by under 0.25 rad). At γ = 1 they are 6 of 16 channels of unit-variance vectors, so a word moves a token's
    attention logit by little from one cell to another; γ = 3 gives that difference 9× the weight from the first
    step. Measured (README.md, "Where the text says"): one word → a blob at one of 9 cells is learnt in 75–150 steps
    at 3 against 200–250 at 1 (two seeds); with the cell named inside a sentence, and on the world, no difference."""
    g = torch.Generator().manual_seed(seed)
    W = {}
    for name, shape in ref.weight_shapes(cfg).items():
        leaf = name.rsplit(".", 1)[-1]
        if name.startswith(("blocks.", "final")) and ("ada" in name or name.startswith("final.linear")):
            W[name] = torch.zeros(shape)
        elif name.startswith("time_embed.") and leaf == "weight":
            W[name] = torch.randn(shape, generator=g) * 0.02
        elif leaf in ("W1", "W2") or name.endswith("lr_gate.weight"):
            W[name] = torch.randn(shape, generator=g) * 0.02
        elif "gate_" in name:
            W[name] = torch.full(shape, cfg.gateInit)
        elif leaf in ("bias", "b1", "b2", "ln_bias"):
            W[name] = torch.zeros(shape)
        elif leaf == "ln_weight" or (leaf == "weight" and len(shape) == 1):
            W[name] = torch.ones(shape)                                             # every LayerNorm γ
        else:
            fan_out, fan_in = shape[0], math.prod(shape[1:])
            a = math.sqrt(6.0 / (fan_in + fan_out))
            W[name] = (torch.rand(shape, generator=g) * 2 - 1) * a
    for i in range(cfg.layers):
        for norm in ("norm_q", "norm_k"):
            W[f"blocks.{i}.attn.{norm}.weight"].fill_(qk_gain)
            W[f"blocks.{i}.attn.{norm}.weight"][rope_fast_channels(cfg)] = rope_gain * qk_gain
    W["text_encoder.token_embedding"] = torch.randn(vocabulary, cfg.textDim, generator=g)
    W["text_encoder.position_embedding"] = torch.randn(cfg.textTokensPerSegment, cfg.textDim, generator=g) * 0.1
    if text_positions == "sinusoidal":
        W["text_encoder.position_embedding"] = sinusoidal_positions(cfg.textTokensPerSegment, cfg.textDim)
    return {k: v.requires_grad_() for k, v in W.items()}


def sinusoidal_positions(count, dim):
    """[count, dim]: sin(p·ω_i) in the even columns and cos(p·ω_i) in the odd ones, ω_i = 10000^(−2i/dim)."""
    p = torch.arange(count, dtype=torch.float32)[:, None]
    omega = 10000.0 ** (-torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    table = torch.zeros(count, dim)
    table[:, 0::2], table[:, 1::2] = torch.sin(p * omega), torch.cos(p * omega)
    return table


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints and the loss log
# ----------------------------------------------------------------------------------------------------------------
def save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # a stop mid-write leaves the previous checkpoint whole


def load_checkpoint(path):
    return torch.load(path) if os.path.exists(path) else None


class LossLog:
    """runs/NAME/loss.csv: phase, step, loss, lr, seconds a step. Rows past a resumed checkpoint are dropped, so
    the log is the history of the weights that exist."""

    FIELDS = ["phase", "step", "loss", "lr", "sec_per_step", "time"]

    def __init__(self, path, phase, resume_step):
        self.path = path
        rows = []
        if os.path.exists(path):
            with open(path) as f:
                rows = [r for r in csv.DictReader(f) if r["phase"] != phase or int(r["step"]) <= resume_step]
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, self.FIELDS)
            w.writeheader()
            w.writerows(rows)

    def add(self, phase, step, loss, lr, sec):
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([phase, step, f"{loss:.6g}", f"{lr:.3g}", f"{sec:.4f}",
                                    datetime.datetime.now().isoformat(timespec="seconds")])


def read_log(path):
    with open(path) as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------------------------------------------
# The two training phases share one loop: batches are a function of the step, so resuming is exact.
# ----------------------------------------------------------------------------------------------------------------
def lr_at(step, total, peak, warmup):
    """Linear warm-up, then cosine down to a tenth of the peak at `total`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


# Loss options added after checkpoints had been written without them: such a checkpoint trained at the default.
SETTINGS_ADDED_LATER = {"objectness": 0.0, "rope_gain": 1.0, "high_noise": 0.0, "pure_noise_steps": 0,
                        "text_positions": "random", "qk_gain": 1.0, "layers": 2,
                        "weight_by_signal": False}


def blocks_in(W):
    """How many transformer blocks a DiT's weights hold (a run may train more than the base model's)."""
    return 1 + max(int(k.split(".")[1]) for k in W if k.startswith("blocks."))


def config_of(W, cfg):
    """`cfg` with as many layers as the weights `W` hold: a --dit-layers run's checkpoint or export read back."""
    return dataclasses.replace(cfg, layers=blocks_in(W))


def optimiser_step(opt, params, loss):
    """One step of every trainer here: gradients of `loss`, their global norm clipped to 1, the optimiser's step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params.values(), 1.0)
    opt.step()


# Settings that are step counts ("from step N on, do otherwise"): a resume may change one while it has not yet taken
# effect, i.e. while the resume step is at or below both the recorded and the new value, since every step trained so
# far then did the same under either. (Session 9 had to edit a checkpoint by hand to shorten --dit-short-steps.)
STEP_THRESHOLD_SETTINGS = {"short_steps", "pure_noise_steps"}


def resume_conflicts(recorded, settings, step):
    """The settings whose recorded value makes a resume at `step` with `settings` train another model than a run
    with `settings` from the start: any that differ, except a step threshold neither value has reached yet."""
    return sorted(k for k in settings if recorded[k] != settings[k]
                  and not (k in STEP_THRESHOLD_SETTINGS and step <= min(recorded[k], settings[k])))


def run_phase(name, args, params, loss_fn, total, peak_lr, settings, flags="", ema_decay=None):
    """Trains `params` for `total` steps from the phase's checkpoint, if any. `settings` (a dict of the loss's
    options, named on the command line by `flags`) is recorded in the checkpoint, and a resume from one recorded
    with other values exits before its first step: it would train a different model than the run says (except a
    step threshold not reached yet: resume_conflicts)."""
    path = os.path.join(args.run, f"{name}.pt")
    opt = torch.optim.AdamW(params.values(), lr=peak_lr, betas=(0.9, 0.99), weight_decay=0.0)
    ema = {k: v.detach().clone() for k, v in params.items()} if ema_decay else None
    step = 0
    ck = load_checkpoint(path)
    if ck:
        recorded = {k: ck["extra"].get(k, SETTINGS_ADDED_LATER.get(k)) for k in settings}
        conflicts = resume_conflicts(recorded, settings, ck["step"])
        if conflicts:                               # before the weights: another --dit-layers has other tensors
            sys.exit(f"{name}: {path} (step {ck['step']}) was trained with "
                     + ", ".join(f"{k} {recorded[k]}" for k in conflicts) + ", not "
                     + ", ".join(f"{k} {settings[k]}" for k in conflicts) + f" ({flags})")
        for k in sorted(k for k in settings if recorded[k] != settings[k]):
            print(f"{name}: {k} {recorded[k]} -> {settings[k]}: not reached yet at step {ck['step']}, so the run is "
                  f"the same as one started with {settings[k]}")
        with torch.no_grad():
            for k, v in ck["params"].items():
                params[k].copy_(v)
        opt.load_state_dict(ck["opt"])
        ema = ck["ema"]
        step = ck["step"]
        print(f"{name}: resumed at step {step} from {path}")
    log = LossLog(os.path.join(args.run, "loss.csv"), name, step)
    started, last_save, window = time.time(), time.time(), []
    checkpoint = lambda: save_checkpoint(path, {"step": step, "params": {k: v.detach() for k, v in params.items()},
                                                "opt": opt.state_dict(), "ema": ema, "extra": settings})
    while step < total:
        if args.max_minutes and time.time() - args.started > 60 * args.max_minutes:
            print(f"{name}: stopping at step {step}: --max-minutes {args.max_minutes} reached")
            break
        if args.stop_at and step >= args.stop_at:  # for the resume test: stop as if interrupted
            checkpoint()
            sys.exit(f"{name}: stopped at step {step} (--stop-at)")
        t0 = time.time()
        lr = lr_at(step, total, peak_lr, warmup=min(200, total // 10 + 1))
        for group in opt.param_groups:
            group["lr"] = lr
        torch.manual_seed(args.seed * 1_000_003 + 2 * step + (name == "dit"))  # any draw from torch's global
        loss = loss_fn(step)                                                     # generator is a function of the step
        optimiser_step(opt, params, loss)
        if ema is not None:
            d = min(ema_decay, (1 + step) / (10 + step))  # short runs: the EMA does not hold the initialisation
            with torch.no_grad():
                for k, v in params.items():
                    ema[k].mul_(d).add_(v.detach(), alpha=1 - d)
        step += 1
        sec = time.time() - t0
        window.append(loss.item())
        log.add(name, step, loss.item(), lr, sec)
        if step % args.print_every == 0 or step == total:
            print(f"{name} {step}/{total} loss {sum(window) / len(window):.5f} lr {lr:.2e} {sec:.3f} s/step", flush=True)
            window = []
        if time.time() - last_save > args.checkpoint_seconds:
            checkpoint()
            last_save = time.time()
    checkpoint()
    print(f"{name}: {step} steps; this session {time.time() - started:.0f} s")
    return step, ema


def object_weights(frames, weight, ring):
    """Per-pixel weights of the autoencoder's loss, [N, 1, H, W]: `weight` on object pixels and a ring of `ring`
    pixels around them, 1 elsewhere. Objects cover about 5% of a frame, so a plain mean spends most of the loss on
    backgrounds, which are easy; the detector reads the objects (colour of the core, centroid, area) and their
    surroundings (a halo becomes an object of its own). The default ring is one latent pixel (16 px): the decoder's
    bilinear upsampling spreads every edge over that much, and that is where the halos were (measured in README.md:
    weight 10 with a 4-pixel ring left blue halos around yellow and orange objects on purple, 97.6%; a 16-pixel
    ring 99.2%). weight = 1 is the plain mean."""
    if weight == 1:
        return torch.ones_like(frames[:, :1])
    mask = torch.nn.functional.max_pool2d(bm.object_mask(frames), 2 * ring + 1, stride=1, padding=ring)  # grow by the ring
    return 1 + (weight - 1) * mask


def latent_object_mask(frames, upscale):
    """[N, 1, H/upscale, W/upscale]: 1 on every latent pixel whose upscale × upscale block holds an object pixel."""
    return torch.nn.functional.max_pool2d(bm.object_mask(frames), upscale)


def latent_object_weights(latent_mask, weight):
    """Per-latent-pixel weights of the denoiser's loss, the shape of `latent_mask` ([N, 1, h, w], from
    `latent_object_mask`): `weight` on an object's latent pixels and on the ring of latent pixels around them (the
    decoder's bilinear upsampling mixes each latent pixel into its neighbours' pixels), 1 elsewhere. Why: an object
    covers about 4 of a frame's 96 latent pixels, so a plain v-MSE gives it about 4% of the loss; the plain run learnt
    the backgrounds and then flattened with no object drawn (README.md, "Full run (session 3)")."""
    mask = torch.nn.functional.max_pool2d(latent_mask, 3, stride=1, padding=1)            # grow by one latent pixel
    return 1 + (weight - 1) * mask


def ae_phase(args, cfg, dec, geometry):
    AE = init_autoencoder(args.seed, cfg, dec, args.ae_objectness)
    u = dec["upscale"]

    def loss_fn(step):
        frames = data.ae_frames(geometry, args.seed, step, args.ae_batch)
        z = bm.encode_frames(frames, AE, u)
        # Noise on the latents: the denoiser's latents are never exact, so the decoder learns codes that survive a
        # small error; the penalty keeps the code's scale from drifting (it is normalised after this phase).
        z_noisy = z + 0.1 * z.detach().std() * torch.randn_like(z)
        err = ((bm.decode(z_noisy, AE, u) - frames) ** 2).sum(dim=1, keepdim=True)            # (N, 1, H, W)
        w = object_weights(frames, args.ae_object_weight, args.ae_object_ring)
        return (w * err).sum() / (3 * w.sum()) + 1e-4 * (z ** 2).mean()

    settings = {"object_weight": args.ae_object_weight, "object_ring": args.ae_object_ring,
                "objectness": args.ae_objectness}
    step, _ = run_phase("ae", args, AE, loss_fn, args.ae_steps, 2e-3, settings,
                        "--ae-object-weight, --ae-object-ring, --ae-objectness")
    stats = dict(latent_stats(AE, geometry, args.seed, u), steps=step)
    print(f"ae: latent mean {stats['latent_mean'].tolist()} std {stats['latent_std'].tolist()}")
    return AE, stats


def latent_stats(AE, geometry, seed, upscale):
    """The encoder's latents' per-channel mean and std over 512 training frames the autoencoder never drew its
    batches from (run seed + 1, steps from 10⁷): the denoiser works on (z − mean) / std."""
    with torch.no_grad():
        z = torch.cat([bm.encode_frames(data.ae_frames(geometry, seed + 1, 10_000_000 + i, 64), AE, upscale)
                       for i in range(8)])
    return {"latent_mean": z.mean(dim=(0, 2, 3)), "latent_std": z.std(dim=(0, 2, 3))}


def ae_detector_accuracy(AE, geometry, stories=24):
    """The autoencoder's ceiling: the share of held-out scenes the detector still gets right after encode+decode,
    on the first stories of eval_storyboard.py (the full report: eval_storyboard.py --autoencoder runs/NAME/ae.pt)."""
    W = {k: v.detach() for k, v in AE.items()}
    records = []
    for story in ev.eval_stories(geometry, stories, [2, 4, 8]):
        records += ev.check_story(story, ev.autoencoder_latents(story, geometry, W), W, geometry)
    return sum(r["ok"] for r in records) / len(records), len(records)


def normalised_latents(frames, AE, stats, cfg, upscale):
    """[B, T, 3, H, W] frames → the encoder's latents [B, T, C, h, w] at unit scale, (z − mean) / std: what the
    denoiser is taught to produce."""
    B, T = frames.shape[:2]
    mean, std = stats["latent_mean"].reshape(1, 1, -1, 1, 1), stats["latent_std"].reshape(1, 1, -1, 1, 1)
    with torch.no_grad():
        z = bm.encode_frames(frames.flatten(0, 1), AE, upscale)
    return (z.reshape(B, T, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth) - mean) / std


def denoiser_loss(args, cfg, dec, geometry, AE, stats, W, object_weight, data_step,
                  lengths_at=lambda step: data.STORY_LENGTHS, high_noise=0.0, pure_noise_at=lambda step: False,
                  weight_by_signal=False):
    """The denoiser's loss at a step: v-MSE on the encoder's normalised latents of the batch `data.dit_batch` draws
    for `data_step(step)` with story lengths `lengths_at(step)`, each latent pixel weighted by
    `latent_object_weights` (1 everywhere: the plain mean); timesteps as data.noise_and_timesteps draws them with
    `high_noise` and, at steps where `pure_noise_at(step)`, all at t = 999. weight_by_signal: an object pixel's extra
    weight scaled by a², the signal's share of x_t (0 at t = 999), see `signal_scaled`."""
    C, h, w, u = cfg.latentChannels, cfg.latentHeight, cfg.latentWidth, dec["upscale"]

    def loss_fn(step):
        batch_step = data_step(step)
        frames, ids, _ = data.dit_batch(geometry, args.seed, batch_step, lengths=lengths_at(step))
        B, T = frames.shape[:2]
        x0 = normalised_latents(frames, AE, stats, cfg, u)
        if object_weight == 1:                                                       # the plain mean: no mask
            weights = torch.ones(B, T, 1, h, w)
        else:
            weights = latent_object_weights(latent_object_mask(frames.flatten(0, 1), u), object_weight)
            weights = weights.reshape(B, T, 1, h, w)
        eps, ts, a, sig = data.noise_and_timesteps(args.seed, batch_step, x0.shape, ref.sampler_schedule,
                                                  high_noise, pure_noise_at(step))
        x_t = a * x0 + sig * eps
        v = a * eps - sig * x0           # v-prediction: the sampler's D = a·x − σ·F recovers x0 exactly at F = v
        if weight_by_signal:
            weights = signal_scaled(weights, a)
        pred = bm.forward(x_t, ts, bm.encode_text(ids, W), W, cfg)
        return (weights * (pred - v) ** 2).sum() / (C * weights.sum())

    return loss_fn


def signal_scaled(weights, a):
    """Object weights [B, T, 1, h, w] with each sample's extra weight (w − 1) times a², the share of x_t that is signal
    (a [B, 1, 1, 1, 1]). Why: the weight depends on where the object truly is, so where the model cannot know that
    (x_t is noise, the text leaves it uncertain) the weighted mean it learns is biased towards drawing an object: with
    weight 10, a cell holding the object one time in ten gets (10·0.1)/(10·0.1 + 0.9) = 53% of one. At t = 999 the
    text alone decides the place, and those half-objects on the cells of the right row or column are the ghosts of
    README "Ghosts"; where x_t shows the object (a near 1) the place is certain and the weight costs no bias."""
    return 1 + (weights - 1) * a * a


def dit_phase(args, cfg, dec, geometry, AE, stats):
    """The denoiser from its initialisation: v-MSE with object latent pixels weighted --dit-object-weight (1: the
    plain mean, the shipped file's recipe), on one- and two-scene stories for the first --dit-short-steps steps."""
    W = init_dit(args.seed, cfg, geometry.vocabulary_size, args.dit_rope_gain, args.dit_text_positions,
                 args.dit_qk_gain)
    short = args.dit_short_steps
    lengths_at = lambda step: data.SHORT_STORY_LENGTHS if step < short else data.STORY_LENGTHS
    loss_fn = denoiser_loss(args, cfg, dec, geometry, AE, stats, W, args.dit_object_weight, lambda step: step,
                            lengths_at, args.dit_high_noise, lambda step: step < args.dit_pure_noise_steps,
                            weight_by_signal=args.dit_weight_by_signal)
    settings = {"object_weight": args.dit_object_weight, "short_steps": short, "rope_gain": args.dit_rope_gain,
                "high_noise": args.dit_high_noise, "pure_noise_steps": args.dit_pure_noise_steps,
                "text_positions": args.dit_text_positions, "qk_gain": args.dit_qk_gain, "layers": cfg.layers,
                "weight_by_signal": args.dit_weight_by_signal}
    step, ema = run_phase("dit", args, W, loss_fn, args.dit_steps, args.dit_lr, settings,
                          "--dit-object-weight, --dit-short-steps, --dit-rope-gain, --dit-high-noise, "
                          "--dit-pure-noise-steps, --dit-text-positions, --dit-qk-gain, --dit-layers, "
                          "--dit-weight-by-signal",
                          ema_decay=0.999)
    return ema, step, dit_objective(args, AE)


def dit_objective(args, AE):
    """How the dit phase trained, in words, for the model file's ttt_training.objective: its options and the
    latents it learnt to produce (an --ae-objectness autoencoder's). A --dit-from file carries its own, so a tuned
    export of it says each once."""
    objective = "v-prediction on the sampler's timestep grid (N in 10, 20, 40; ZeroSNR), uncond text \"\" 10% of stories"
    if "enc.objectness" in AE:
        objective += (f"; on latents whose last channel is {AE['enc.objectness'].item():g}x the object coverage of "
                      "its pixel (set by the autoencoder, not learnt)")
    if args.dit_short_steps:
        objective += f"; the first {args.dit_short_steps} steps on one- and two-scene stories"
    if args.dit_rope_gain != 1:
        objective += f"; attention q/k LayerNorm gain {args.dit_rope_gain:g} on the fastest RoPE pairs at initialisation"
    if args.dit_qk_gain != 1:
        objective += f"; attention q/k LayerNorm gain {args.dit_qk_gain:g} on every channel at initialisation"
    if args.dit_pure_noise_steps:
        objective += f"; the first {args.dit_pure_noise_steps} steps at t = 999 only"
    if args.dit_high_noise:
        objective += f"; {args.dit_high_noise:.0%} of samples from the noisiest quarter of the grid"
    if args.dit_text_positions != "random":
        objective += f"; text position embedding initialised {args.dit_text_positions}"
    if args.dit_object_weight != 1:
        objective += (f"; object latent pixels (and a one-pixel ring) weighted {args.dit_object_weight:g}x "
                      "from the first step" + (" (the extra weight times a², none at t = 999)"
                                               if args.dit_weight_by_signal else ""))
    return objective


def denoiser_from_file(path, AE, stats):
    """The dit phase's result read back from a model file this run exported earlier (its checkpoint may be gone):
    the DiT and text encoder weights, the denoiser steps and the objective of its ttt_training (how that dit phase
    trained, whatever this command line's --dit-* flags say). The file's decoder must be this
    run's autoencoder with this run's latent normalisation, or the denoiser would be tuned on other latents."""
    tensors, meta = load_file(path, widen=False)
    mismatch = decoder_mismatch(tensors, AE, stats)
    if mismatch:
        sys.exit(f"--dit-from {path}: {mismatch}; the file was not exported by this run's ae phase")
    training = json.loads(meta["ttt_training"])
    if training.get("objectTuneSteps"):
        sys.exit(f"--dit-from {path}: the file is already tuned ({training['objectTuneSteps']} steps); it must be the "
                 "dit phase's result")
    steps = training["denoiserSteps"]
    W = {k: v.clone() for k, v in tensors.items() if not k.startswith("decoder.")}
    print(f"dit: {steps} steps read from {path} (decoder matches this run's autoencoder)")
    return W, steps, training["objective"]


def decoder_mismatch(tensors, AE, stats):
    """None when a model file's decoder tensors are `export_decoder(AE, stats)` to 1e-5, else what differs: a
    denoiser from that file was trained on this autoencoder's latents only then."""
    for k, v in export_decoder(AE, stats).items():
        diff = (tensors[k] - v).abs().max().item()
        if diff > 1e-5:
            return f"its {k} differs from this run's autoencoder by {diff:.3g} (at most 1e-5 expected)"
    return None


def run_autoencoder(run, seed):
    """For the tools that measure a run's models: (cfg, decoder config, geometry, autoencoder, latent stats) of the
    run folder's ae.pt, with the latent normalisation the run's export folded in."""
    checkpoint = load_checkpoint(os.path.join(run, "ae.pt"))
    if checkpoint is None:
        sys.exit(f"--run {run}: no ae.pt there (expected the folder train.py --run wrote)")
    meta = sf.read_metadata(BASE_MODEL)
    cfg, dec = ref.TttConfig.from_json(meta["ttt_config"]), json.loads(meta["ttt_decoder"])
    AE, geometry = checkpoint["params"], sf.Geometry.from_model(BASE_MODEL)
    return cfg, dec, geometry, AE, latent_stats(AE, geometry, seed, dec["upscale"])


def tune_phase(args, cfg, dec, geometry, AE, stats, W0, dit_steps):
    """The object tuning: from the dit phase's EMA weights, the same v-MSE with object latent pixels weighted
    --tune-object-weight. Its batches continue the dit phase's stream (batch dit_steps + step), so it sees new
    stories."""
    W = {k: v.detach().clone().requires_grad_() for k, v in W0.items()}
    loss_fn = denoiser_loss(args, cfg, dec, geometry, AE, stats, W, args.tune_object_weight,
                            lambda step: dit_steps + step, high_noise=args.tune_high_noise,
                            weight_by_signal=args.tune_weight_by_signal)
    settings = {"object_weight": args.tune_object_weight, "from_dit_steps": dit_steps,
                "high_noise": args.tune_high_noise, "weight_by_signal": args.tune_weight_by_signal}
    step, ema = run_phase("tune", args, W, loss_fn, args.tune_steps, args.tune_lr, settings,
                          "--tune-object-weight, --tune-high-noise, --tune-weight-by-signal; --dit-steps or the "
                          "--dit-from file's", ema_decay=0.999)
    return ema, step


# ----------------------------------------------------------------------------------------------------------------
# Export and plot
# ----------------------------------------------------------------------------------------------------------------
def export_decoder(AE, stats):
    """The model file's decoder: the trained decoder with the latent normalisation folded in. The denoiser works on
    z' = (z − m)/s; the decoder's first layer is linear and comes after interpolations whose weights sum to one, so
    fc1(s·z' + m) = (W·diag(s))·z' + (W·m + b) decodes z' exactly as the trained decoder decodes z."""
    m, s = stats["latent_mean"], stats["latent_std"]
    w1, b1 = AE["decoder.fc1.weight"].detach(), AE["decoder.fc1.bias"].detach()
    return {"decoder.fc1.weight": (w1 * s[None, :]).contiguous(), "decoder.fc1.bias": b1 + w1 @ m,
            "decoder.fc2.weight": AE["decoder.fc2.weight"].detach().clone(),
            "decoder.fc2.bias": AE["decoder.fc2.bias"].detach().clone()}


def export(args, cfg, dec, vocabulary, AE, stats, W, ae_steps, dit_steps, dit_objective, tune_steps):
    """The model file: DiT + text encoder (EMA weights) + the decoder of `export_decoder`; `dit_objective` says how
    the denoiser was trained before any tuning."""
    tensors = {k: v.detach().clone().float() for k, v in W.items()}
    tensors.update(export_decoder(AE, stats))
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    objective = dit_objective
    if tune_steps:
        objective += (f"; the last {tune_steps} denoiser steps with object latent pixels (and a one-pixel ring) "
                      f"weighted {args.tune_object_weight:g}x"
                      + (" (the extra weight times a²)" if args.tune_weight_by_signal else "")
                      + (f", {args.tune_high_noise:.0%} of samples from the noisiest quarter of the grid"
                         if args.tune_high_noise else ""))
    training = {
        "data": "storyboard world (tools/train/storyboard.py): procedural 3-second scenes, 8 colours, ball and square, "
                "9 grid cells, 7 motions; train seeds 0..999999999 without held-out (kind, colour, background) combinations",
        "autoencoderSteps": ae_steps, "denoiserSteps": dit_steps + tune_steps, "objectTuneSteps": tune_steps,
        "seed": args.seed,
        "date": datetime.date.today().isoformat(), "code": f"tools/train/train.py at {commit}",
        "objective": objective,
    }
    metadata = {"ttt_config": cfg.to_json(),
                "ttt_text_encoder": json.dumps({"vocabularySize": vocabulary, "tokenizer": "words-fnv1a-v1"}),
                "ttt_decoder": json.dumps(dec, separators=(",", ":")), "ttt_trained": "true",
                "ttt_training": json.dumps(training, separators=(",", ":"))}
    save_file(tensors, args.out, metadata)
    print(f"export: wrote {args.out} ({len(tensors)} tensors)")


def plot(log_path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = read_log(log_path)
    panels = [("ae", "autoencoder (frame MSE)"), ("dit", "denoiser (v MSE)"),
              ("tune", "denoiser, objects weighted (v MSE)")]
    panels = [(phase, title) for phase, title in panels if any(r["phase"] == phase for r in rows)]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (phase, title) in zip(axes[0], panels):
        pts = [(int(r["step"]), float(r["loss"])) for r in rows if r["phase"] == phase]
        if pts:
            x, y = zip(*pts)
            k = max(1, len(y) // 100)  # a moving average over about 1% of the run
            smooth = [sum(y[max(0, i - k + 1):i + 1]) / len(y[max(0, i - k + 1):i + 1]) for i in range(len(y))]
            ax.plot(x, y, color="0.8", linewidth=0.6)
            ax.plot(x, smooth, color="C0")
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("step")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print(f"plot: wrote {png}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="folder for checkpoints and loss.csv (tools/train/runs/ is ignored by git)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ae-steps", type=int, default=2000)
    p.add_argument("--ae-batch", type=int, default=32)
    p.add_argument("--ae-object-weight", type=float, default=10.0,
                   help="loss weight of object pixels (and a ring around them) against 1 for the background")
    p.add_argument("--ae-objectness", type=float, default=0.0,
                   help="set the last latent channel to this times each latent pixel's object coverage instead of "
                        "learning it (batched_model.encode_frames; 0: all channels learnt, the shipped recipe)")
    p.add_argument("--ae-object-ring", type=int, default=16, help="pixels around an object weighted as the object")
    p.add_argument("--dit-steps", type=int, default=20000)
    p.add_argument("--dit-lr", type=float, default=5e-4)
    p.add_argument("--dit-object-weight", type=float, default=1.0,
                   help="loss weight of latent pixels an object covers (and the ring around them) in the dit phase")
    p.add_argument("--dit-rope-gain", type=float, default=1.0,
                   help="initial attention q/k LayerNorm γ on the fastest RoPE pairs (init_dit; 1: the shipped recipe)")
    p.add_argument("--dit-qk-gain", type=float, default=1.0,
                   help="initial attention q/k LayerNorm γ on every channel (init_dit; 1: the shipped recipe)")
    p.add_argument("--dit-pure-noise-steps", type=int, default=0,
                   help="the first N dit steps train at t = 999 only (x0 from the text alone), then the grid")
    p.add_argument("--dit-high-noise", type=float, default=0.0,
                   help="share of samples drawn from the noisiest quarter of the timestep grid (0: the grid uniformly)")
    p.add_argument("--dit-text-positions", choices=("random", "sinusoidal"), default="random",
                   help="the text position embedding's initialisation (init_dit)")
    p.add_argument("--dit-weight-by-signal", action="store_true",
                   help="scale an object pixel's extra weight by a², the signal's share of x_t: none at t = 999, where "
                        "a weight that depends on the true place biases the model towards half-drawn objects wherever "
                        "the place is uncertain (train.signal_scaled)")
    p.add_argument("--dit-layers", type=int, default=0,
                   help="transformer blocks (0: the base model's, 2); a deeper preset the engine reads from the file")
    p.add_argument("--dit-short-steps", type=int, default=0,
                   help="dit steps on one- and two-scene stories (data.SHORT_STORY_LENGTHS) before the long-story mix")
    p.add_argument("--dit-from", help="a model file this run exported after its dit phase: tune from its weights "
                                      "when the dit checkpoint is gone (its decoder must match this run's autoencoder)")
    p.add_argument("--tune-steps", type=int, default=0, help="object tuning steps after the dit phase (0: none)")
    p.add_argument("--tune-object-weight", type=float, default=10.0,
                   help="loss weight of latent pixels an object covers (and the ring around them) in the tuning")
    p.add_argument("--tune-lr", type=float, default=5e-4)
    p.add_argument("--tune-high-noise", type=float, default=0.0, help="as --dit-high-noise, for the tune phase")
    p.add_argument("--tune-weight-by-signal", action="store_true", help="as --dit-weight-by-signal, for the tune phase")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (with a checkpoint) after this many minutes")
    p.add_argument("--stop-at", type=int, default=0, help="exit after this many steps of a phase, as an interrupted run")
    p.add_argument("--checkpoint-seconds", type=float, default=120)
    p.add_argument("--print-every", type=int, default=20)
    p.add_argument("--out", help="model file to write (not models/tiny.safetensors until a full run is judged)")
    p.add_argument("--plot", help="loss-curve PNG")
    args = p.parse_args()
    args.started = time.time()
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    meta = sf.read_metadata(BASE_MODEL)
    cfg, dec = ref.TttConfig.from_json(meta["ttt_config"]), json.loads(meta["ttt_decoder"])
    geometry = sf.Geometry.from_model(BASE_MODEL)
    if args.dit_layers:
        cfg.layers = args.dit_layers
    AE, stats = ae_phase(args, cfg, dec, geometry)
    share, scenes = ae_detector_accuracy(AE, geometry)
    print(f"ae: detector on {scenes} held-out scenes after encode+decode: {100 * share:.1f}%")
    if args.dit_from:
        ema, dit_steps, objective = denoiser_from_file(args.dit_from, AE, stats)
        cfg = config_of(ema, cfg)
    else:
        ema, dit_steps, objective = dit_phase(args, cfg, dec, geometry, AE, stats)
    tune_steps = 0
    if args.tune_steps:
        ema, tune_steps = tune_phase(args, cfg, dec, geometry, AE, stats, ema, dit_steps)
    if args.out:
        export(args, cfg, dec, geometry.vocabulary_size, AE, stats, ema, stats["steps"], dit_steps, objective,
               tune_steps)
    if args.plot:
        plot(os.path.join(args.run, "loss.csv"), args.plot)


if __name__ == "__main__":
    main()
