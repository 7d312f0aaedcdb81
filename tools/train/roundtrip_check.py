"""Does the C# engine run a file train.py wrote the way training assumed? Renders a storyboard story with
`ttt render --save-latents` and recomputes it here from the same file: the tokenizer port and text embedding, the
seeded noise (GaussianRandom: SplitMix64 + Box–Muller), the reference sampler (tools/reference, v-prediction DDIM +
CFG) and the decoder port. Compares the final latents (relative maxdiff) and the contact sheet's frames (bytes).

  /usr/bin/python3 tools/train/roundtrip_check.py MODEL.safetensors [--steps 4] [--scenes 3]
Needs the CLI built (dotnet build src/TttCluster.Cli -c Release). A tokenizer or decoder mismatch shows as a
large difference; fp32 summation order alone stays near 1e-6.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
from batched_model import ref  # noqa: E402
from safetensors_io import load_file  # noqa: E402
from tokenizer import encode_ids  # noqa: E402

GUIDANCE, GUIDANCE_POWER = 4.0, 1.0

MASK = (1 << 64) - 1


def gaussian_noise(seed, count):
    """src/TttCluster.Model/GaussianRandom.cs: SplitMix64 uniforms in (0, 1], Box–Muller in double, two a draw."""
    state, out = seed, []

    def uniform():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return (((z ^ (z >> 31)) >> 11) + 1) * (1.0 / (1 << 53))

    while len(out) < count:
        radius = math.sqrt(-2.0 * math.log(uniform()))
        angle = 2.0 * math.pi * uniform()
        out += [radius * math.cos(angle), radius * math.sin(angle)]
    return torch.tensor(out[:count], dtype=torch.float32)


def read_png_rgb(path):
    import matplotlib.image
    return np.rint(matplotlib.image.imread(path)[..., :3] * 255).astype(np.int16)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--scenes", type=int, default=3)
    args = p.parse_args()
    W, meta = load_file(args.model)
    cfg = ref.TttConfig.from_json(meta["ttt_config"])
    geometry = sf.Geometry.from_model(args.model)
    story = sb.generate_story(sb.EVAL_SEEDS.start + 424242, args.scenes, "eval", geometry, geometry.text_tokens)
    tmp = tempfile.mkdtemp(prefix="ttt-roundtrip-")
    story_path, video, latents_path = (os.path.join(tmp, n) for n in ("story.yaml", "story.mp4", "latents.safetensors"))
    with open(story_path, "w") as f:
        # Settings spelled out: a model file's own defaults (ttt_sampler) would otherwise apply to the C# side only.
        f.write(sb.story_yaml(story, steps=args.steps, guidance=GUIDANCE, guidance_power=GUIDANCE_POWER))
    cli = os.path.join(ROOT, "artifacts", "bin", "TttCluster.Cli", "release", "ttt.dll")
    subprocess.run(["dotnet", cli, "render", story_path, "--model", args.model, "-o", video,
                    "--save-latents", latents_path, "--quiet"], check=True)
    cs_latents = load_file(latents_path)[0]["latents"]

    T = geometry.latent_frames(args.scenes)
    noise = gaussian_noise(story.seed, T * cfg.latentChannels * cfg.latentHeight * cfg.latentWidth)
    noise = noise.reshape(T, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth)
    ids = torch.tensor([encode_ids(s.text, geometry.vocabulary_size, geometry.text_tokens) for s in story.scenes])
    empty = torch.tensor([encode_ids("", geometry.vocabulary_size, geometry.text_tokens)] * args.scenes)
    with torch.no_grad():
        x, _, _ = ref.sample(noise, bm.encode_text(ids, W), bm.encode_text(empty, W), args.steps, GUIDANCE, GUIDANCE_POWER, W, cfg)
    rel = ((x - cs_latents).abs().max() / cs_latents.abs().max()).item()
    print(f"latents ({args.scenes} scenes, {args.steps} steps): relative maxdiff C# vs PyTorch {rel:.2e}")

    sheet = read_png_rgb(os.path.splitext(video)[0] + ".contact.png")
    S, F = geometry.frames_per_latent, geometry.frames_per_segment
    worst = 0
    for k in range(args.scenes):
        with torch.no_grad():
            rgb = bm.decode_video_frame(cs_latents, F * k * S + F * S // 2, S, W, geometry.upscale)
        ours = np.rint(np.clip(rgb.permute(1, 2, 0).numpy(), 0, 1) * 255).astype(np.int16)
        # ContactSheet.cs: tiles in rows of at most 5, a 2-pixel gutter around and between them.
        H, Wd, gutter = geometry.height, geometry.width, 2
        top, left = gutter + (k // 5) * (H + gutter), gutter + (k % 5) * (Wd + gutter)
        tile = sheet[top:top + H, left:left + Wd]
        worst = max(worst, int(np.abs(tile - ours).max()))
    print(f"contact-sheet frames: largest byte difference, decoder port vs C# {worst}")
    ok = rel < 1e-4 and worst <= 1
    print("ok" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
