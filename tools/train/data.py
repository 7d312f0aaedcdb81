"""Training batches from the storyboard world. Every batch is a pure function of (run seed, phase, step), so a run
resumed from a checkpoint sees exactly the data it would have seen without the stop, and nothing but the
checkpoint has to be saved."""
import random

import numpy as np
import torch

import storyboard as sb
import storyboard_frames as sf
from tokenizer import encode_ids

# Story lengths of the denoising phase and stories a batch: about 24 scenes a step whatever the length, so a step
# costs about the same; long stories teach the TTT layers to carry an object's colour across many scenes.
STORY_LENGTHS = ((2, 12), (4, 6), (8, 3), (12, 2))
# One- and two-scene stories for the start of a run (train.py --dit-short-steps): what a scene's text draws is learnt
# scene by scene, and a scene of a one-scene story costs about 30 ms of a step against about 50 ms in the long-story
# mix (2 threads; the TTT scan is short), so more scenes a second reach the text path. The long stories that teach
# colour carry-over come after.
SHORT_STORY_LENGTHS = ((1, 32), (2, 16))


def _rng(seed, phase, step):
    return random.Random(f"{seed}/{phase}/{step}")


def _train_seed(rng):
    return rng.randrange(sb.TRAIN_SEEDS.start, sb.TRAIN_SEEDS.stop)


def ae_frames(geometry, seed, step, count):
    """`count` frames of random training scenes at random progress, as [count, 3, H, W] float32."""
    rng = _rng(seed, "ae", step)
    frames = []
    for _ in range(count):
        story = sb.generate_story(_train_seed(rng), 1 + rng.randrange(3), "train", geometry, geometry.text_tokens)
        frames.append(sf.render_scene(geometry, rng.choice(story.scenes), rng.random()))
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()


def dit_batch(geometry, seed, step, drop_story=0.1, drop_scene=0.05, lengths=STORY_LENGTHS):
    """A denoising batch: (frames [B, T, 3, H, W], text ids [B, n, Lt], stories).

    Classifier-free guidance needs the model to know the unconditional text too. `ttt render` uses each scene's
    negative text or "" as the uncond stream (src/TttCluster.Rendering/LatentSampler.cs), so a dropped text is
    "" (its start and end tokens, then padding), for the whole story (drop_story) or one scene (drop_scene).
    lengths: (scenes a story, stories a batch) pairs, one drawn per batch."""
    rng = _rng(seed, "dit", step)
    n, B = lengths[rng.randrange(len(lengths))]
    stories = [sb.generate_story(_train_seed(rng), n, "train", geometry, geometry.text_tokens) for _ in range(B)]
    frames = np.stack([sf.render_latent_frames(geometry, s) for s in stories])            # (B, T, H, W, 3)
    empty = encode_ids("", geometry.vocabulary_size, geometry.text_tokens)
    ids = []
    for s in stories:
        whole = rng.random() < drop_story
        ids.append([empty if whole or rng.random() < drop_scene
                    else encode_ids(sc.text, geometry.vocabulary_size, geometry.text_tokens) for sc in s.scenes])
    frames = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous()                # (B, T, 3, H, W)
    return frames, torch.tensor(ids, dtype=torch.long), stories


def noise_and_timesteps(seed, step, shape, sampler_schedule, high_noise=0.0, pure_noise=False):
    """Noise, timesteps and (a, σ) for a batch, on the sampler's own grid.

    `ttt render` samples with v-prediction DDIM on N steps at t_i = ⌊999(N−i)/N⌋, with a_i = sqrt(ᾱ[t_i]) rescaled
    to zero terminal SNR over those N steps (docs/MODEL.md §6). Training draws N from the step counts a render
    uses (20 is the default; 10 and 40 keep other counts honest), then i uniformly, and uses that exact (t_i, a_i,
    σ_i): so the noise level the model sees at a timestep is the one the sampler will give it.

    high_noise: the share of samples whose i is drawn from the grid's first quarter (the noisiest steps, where the
    text is nearly all the model has and where a render decides what goes where) instead of the whole grid. At 0 no
    extra random number is drawn, so the stream is the plain grid's. pure_noise: every sample at i = 0 (t = 999,
    a = 0: x_t is the noise and the text is all the model has), the same random draws otherwise."""
    g = torch.Generator().manual_seed((seed * 1_000_003 + step) % (1 << 62))  # not hash(): salted per process
    rng = _rng(seed, "t", step)
    B = shape[0]
    ts, a, sig = [], [], []
    for _ in range(B):
        N = rng.choice((10, 20, 20, 20, 40))
        t_grid, a_grid, s_grid, _ = sampler_schedule(N, 0.0, 1.0)
        i = rng.randrange(N // 4 if high_noise and rng.random() < high_noise else N)
        i = 0 if pure_noise else i
        ts.append(t_grid[i])
        a.append(float(a_grid[i]))
        sig.append(float(s_grid[i]))
    noise = torch.randn(shape, generator=g)
    view = (B,) + (1,) * (len(shape) - 1)
    return noise, ts, torch.tensor(a).reshape(view), torch.tensor(sig).reshape(view)
