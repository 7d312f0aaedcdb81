"""Does a trained model draw the storyboard? Held-out stories → story YAML → `ttt render` (the C# engine, as a user
runs it) → the check frames → the detector → the scene check (storyboard_frames.check_scene), with a report.

  /usr/bin/python3 tools/train/eval_storyboard.py --model MODEL.safetensors [--stories 40] [--lengths 2,4,8]
  /usr/bin/python3 tools/train/eval_storyboard.py --autoencoder tools/train/runs/NAME/ae.pt   # the ceiling

Stories come from the eval seed range (storyboard.EVAL_SEEDS, never trained on) at a fixed offset, so two models
are compared on the same stories; about 1 in 12 (kind, colour, background) combinations in them never occurred in
training (storyboard.held_out_combo), and the report shows those scenes apart from the seen ones.

Frames. The engine writes its final latents (--save-latents) and the check frames are decoded here with the decoder
port (batched_model.decode_video_frame), rounded to bytes as the engine rounds them. roundtrip_check.py compares the
port's frames with the engine's: at most 1 byte apart (fp32 summation order at a rounding boundary), so this is
what the engine draws, without the MP4: H.264 stores
colour at half resolution (4:2:0) and lossily, so reading the MP4 would score the codec's blur of a 32-pixel ball
too; and the contact sheet holds only each scene's middle frame, not its start and end.

--autoencoder measures the ceiling instead: the same stories, checks and report, with the latents the training
encoder makes from the world's own frames (what the denoiser is taught to produce) decoded by the trained decoder.
A model cannot score above its autoencoder's ceiling.

Exit status: 0 whatever the score; non-zero only when something fails to run (a render, a file, a shape).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import storyboard_parse as sp  # noqa: E402
from safetensors_io import load_file  # noqa: E402  (tools/reference)

BASE_MODEL = os.path.join(ROOT, "models", "tiny.safetensors")
CLI = os.path.join(ROOT, "artifacts", "bin", "TttCluster.Cli", "release", "ttt.dll")
# Eval seeds used here: EVAL_SEEDS.start + SEED_OFFSET + i. Apart from train.py's quick ceiling (+7,000..) and
# roundtrip_check.py (+424,242), so none of the three reuses another's stories by accident.
SEED_OFFSET = 100_000


def eval_stories(geometry, count, lengths, skip=0):
    """`count` held-out stories from the `skip`-th on, the i-th of lengths[i % len(lengths)] scenes: deterministic,
    the same for every model, so scores are comparable between runs."""
    return [sb.generate_story(sb.EVAL_SEEDS.start + SEED_OFFSET + i, lengths[i % len(lengths)], "eval", geometry,
                              geometry.text_tokens) for i in range(skip, skip + count)]


def story_from_file(path):
    """A hand-written story in the world's language (examples/one-minute.yaml): its seed and scene texts, read back
    into scene specs by storyboard_parse, so it is checked exactly like a generated one. Only the plain form
    story_yaml writes is read (`seed: N`, `- text: "..."` with double-quoted texts); anything else is refused."""
    source = open(path, encoding="utf-8").read()
    seed = re.search(r"^seed:\s*(\d+)\s*$", source, re.M)
    texts = [json.loads(m) for m in re.findall(r'^\s*-\s*text:\s*("(?:[^"\\]|\\.)*")\s*$', source, re.M)]
    if seed is None or not texts:
        raise ValueError(f"{path}: expected a 'seed: N' line and '- text: \"...\"' scenes, found "
                         f"{'no seed' if seed is None else 'no double-quoted scene texts'}")
    story = sb.Story(seed=int(seed.group(1)), title=os.path.basename(path))
    for text, (background, objects) in zip(texts, sp.parse_story(texts)):
        story.scenes.append(sb.Scene(background, [sb.SceneObject(kind, colour, start, motion, said, start_said=True)
                                                  for kind, colour, start, motion, said in objects], text))
    return story


# ----------------------------------------------------------------------------------------------------------------
# Where the latents come from: the engine, or the autoencoder (the ceiling)
# ----------------------------------------------------------------------------------------------------------------
def engine_latents(story, model, work, steps, guidance, guidance_power):
    """`ttt render STORY.yaml --model FILE --save-latents L -o out.mp4` → the final latents [T, C, h, w]."""
    name = os.path.join(work, f"story-{story.seed}")
    with open(name + ".yaml", "w") as f:
        f.write(sb.story_yaml(story, steps=steps, guidance=guidance, guidance_power=guidance_power))
    cmd = ["dotnet", CLI, "render", name + ".yaml", "--model", model, "--save-latents", name + ".safetensors",
           "-o", name + ".mp4", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return load_file(name + ".safetensors")[0]["latents"]


def autoencoder_latents(story, geometry, AE):
    """The training encoder's latents of the world's own frames (the denoiser's targets, before normalisation)."""
    frames = torch.from_numpy(sf.render_latent_frames(geometry, story)).permute(0, 3, 1, 2)
    with torch.no_grad():
        return bm.encode_frames(frames, AE, geometry.upscale)


def engine_frame(latents, f, W, geometry):
    """Video frame f as the engine writes it: the decoder port, then rounded to bytes (the detector reads the
    8-bit frame the video is made of)."""
    with torch.no_grad():
        rgb = bm.decode_video_frame(latents, f, geometry.frames_per_latent, W, geometry.upscale)
    return np.rint(np.clip(rgb.permute(1, 2, 0).numpy(), 0, 1) * 255).astype(np.float32) / 255


# ----------------------------------------------------------------------------------------------------------------
# Checking and reporting
# ----------------------------------------------------------------------------------------------------------------
def check_story(story, latents, W, geometry):
    T = geometry.latent_frames(len(story.scenes))
    expected = (T, W["decoder.fc1.weight"].shape[1], geometry.latent_height, geometry.latent_width)
    if tuple(latents.shape) != expected:
        raise RuntimeError(f"story {story.seed}: latents {tuple(latents.shape)}, expected {expected}")
    records = []
    for k, scene in enumerate(story.scenes):
        start, end = (sf.detect(geometry, engine_frame(latents, f, W, geometry)) for f in geometry.check_frames(k))
        result = sf.check_scene(scene, start, end)
        result.update(seed=story.seed, scene=k, story_scenes=len(story.scenes), text=scene.text,
                      background_expected=scene.background, detected={"start": start, "end": end},
                      held_out=any(sb.held_out_combo(o.kind, o.colour, scene.background) for o in scene.objects),
                      carried=sb.is_carried(scene))
        records.append(result)
    return records


def share(items, test):
    items = list(items)
    right = sum(1 for i in items if test(i))
    return f"{len(items):>7} {right:>7} {100 * right / len(items):>6.1f}%" if items else f"{0:>7} {'-':>7} {'-':>7}"


def object_ok(o):
    return o["colour_found"] and o["start"] and o["end"]


def report(records, title):
    scenes = records
    print(f"\n{title}\n")
    print(f"{'scenes':<44}{'count':>7} {'right':>7} {'share':>7}")
    rows = [("all", scenes),
            ("combinations seen in training", [r for r in scenes if not r["held_out"]]),
            ("combinations held out of training", [r for r in scenes if r["held_out"]]),
            ("every object's colour said in the text", [r for r in scenes if not r["carried"]]),
            ("some object's colour carried from before", [r for r in scenes if r["carried"]]),
            ("first scene of a story", [r for r in scenes if r["scene"] == 0]),
            ("later scenes", [r for r in scenes if r["scene"] > 0])]
    for name, items in rows:
        print(f"{name:<44}{share(items, lambda r: r['ok'])}")

    objects = [o for r in scenes for o in r["objects"]]
    print("\nobjects: right when found once in its colour, at its start cell and its end cell (or gone)")
    print(f"{'objects':<44}{'count':>7} {'right':>7} {'share':>7}")
    for name, items in (("colour said in the scene's text", [o for o in objects if o["colour_said"]]),
                        ("colour carried from an earlier scene", [o for o in objects if not o["colour_said"]])):
        print(f"{name:<44}{share(items, object_ok)}")
    for motion in sb.MOTIONS:
        print(f"{'  motion ' + motion:<44}{share([o for o in objects if o['motion'] == motion], object_ok)}")

    # Place apart from colour: whether anything is drawn at an object's start cell, and in which colour; and the
    # detections on no object's cell. A model can place objects well and colour them wrongly, or the reverse.
    print(f"\n{'at the start cell, any colour / its colour':<44}{'count':>7} {'right':>7} {'share':>7}")
    for name, items in (("colour said: something there", [o for o in objects if o["colour_said"]]),
                        ("colour said: its colour there", [o for o in objects if o["colour_said"]]),
                        ("colour carried: something there", [o for o in objects if not o["colour_said"]]),
                        ("colour carried: its colour there", [o for o in objects if not o["colour_said"]])):
        key = "placed_start" if name.endswith("something there") else "coloured_at_start"
        print(f"{name:<44}{share(items, lambda o: o[key])}")
    detections = sum(r["detections_start"] + r["detections_end"] for r in scenes)
    off = sum(r["off_cell_start"] + r["off_cell_end"] for r in scenes)
    label = "detections on no object's cell (check frames)"
    print(f"{label:<44}{detections:>7} {off:>7} "
          f"{100 * off / max(detections, 1):>6.1f}%")

    # Which checks fail: each scene counts once per failing check, so the rows can add up to more than the wrong
    # scenes. This is the list to read when a score is low.
    print(f"\n{'failing checks (scenes)':<44}{'count':>7} {'share':>7}")
    n = len(scenes)
    fails = [
        ("background wrong at the start", lambda r: not r["background_start"]),
        ("background wrong at the end", lambda r: not r["background_end"]),
        ("unexpected object at the start", lambda r: r["extra_start"] > 0),
        ("unexpected object at the end", lambda r: r["extra_end"] > 0),
        ("object's colour missing at the start", lambda r: any(o["found_start"] == 0 for o in r["objects"])),
        ("object's colour missing at the end", lambda r: any(o["found_end"] == 0 and o["motion"] != "disappears" for o in r["objects"])),
        ("object split in two (colour found twice)", lambda r: any(o["found_start"] > 1 or o["found_end"] > 1 for o in r["objects"])),
        ("start cell wrong (found once)", lambda r: any(o["found_start"] == 1 and not o["start"] for o in r["objects"])),
        ("end cell wrong (found once)", lambda r: any(o["found_end"] == 1 and not o["end"] for o in r["objects"])),
        ("'disappears' still visible at the end", lambda r: any(not o["end"] and o["motion"] == "disappears" for o in r["objects"])),
        ("'grows' not 1.5x larger (not scored)", lambda r: any(o["grew"] is False for o in r["objects"])),
    ]
    for name, test in fails:
        bad = sum(1 for r in scenes if test(r))
        print(f"{name:<44}{bad:>7} {100 * bad / n:>6.1f}%")
    lengths = sorted({r["story_scenes"] for r in scenes})
    if len(lengths) > 1:
        print(f"\n{'scenes by story length':<44}{'count':>7} {'right':>7} {'share':>7}")
        for L in lengths:
            print(f"{'  ' + str(L) + ' scenes':<44}{share([r for r in scenes if r['story_scenes'] == L], lambda r: r['ok'])}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="model file to render with (`ttt render --model`)")
    source.add_argument("--autoencoder", help="an ae.pt checkpoint of train.py: the autoencoder's ceiling instead")
    p.add_argument("--stories", type=int, default=40)
    p.add_argument("--skip", type=int, default=0, help="start at the N-th held-out story: with --skip 40, a second set "
                   "of 40 on which to confirm a setting (e.g. --guidance) chosen on the first")
    p.add_argument("--lengths", default="2,4,8", help="scenes a story, cycled over the stories")
    p.add_argument("--story", action="append", help="check this story file (in the world's language, e.g. "
                   "examples/one-minute.yaml) instead of the held-out stories; may be given more than once")
    p.add_argument("--steps", type=int, help="denoising steps (default: the model file's own, else the engine's, 20)")
    p.add_argument("--guidance", type=float, help="classifier-free guidance (default: the model file's own, else the engine's)")
    p.add_argument("--guidance-power", type=float, help="power of the guidance schedule (default: the model file's own, "
                   "else the engine's)")
    p.add_argument("--work", help="folder for the YAML, latents and MP4s (default: a temporary folder)")
    p.add_argument("--json", help="write every scene's checks and detections here")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    lengths = [int(x) for x in args.lengths.split(",")]

    if args.model:
        if not os.path.exists(CLI):
            sys.exit(f"{CLI} not found: build it with `dotnet build src/TttCluster.Cli -c Release`")
        W, _ = load_file(args.model)
        geometry = sf.Geometry.from_model(args.model)
        work = args.work or tempfile.mkdtemp(prefix="ttt-eval-")
        os.makedirs(work, exist_ok=True)
        latents_of = lambda story: engine_latents(story, os.path.abspath(args.model), work, args.steps, args.guidance,
                                                    args.guidance_power)
        title = f"{args.model}: `ttt render` of held-out stories (files in {work})"
    else:
        W = {k: v.float() for k, v in torch.load(args.autoencoder)["params"].items()}
        geometry = sf.Geometry.from_model(BASE_MODEL)
        latents_of = lambda story: autoencoder_latents(story, geometry, W)
        title = f"{args.autoencoder}: autoencoder ceiling (encode → decode of the world's frames)"

    stories = [story_from_file(f) for f in args.story] if args.story else eval_stories(geometry, args.stories, lengths, args.skip)
    records, started = [], time.time()
    for i, story in enumerate(stories):
        records += check_story(story, latents_of(story), W, geometry)
        if (i + 1) % 10 == 0 or i + 1 == len(stories):
            print(f"{i + 1}/{len(stories)} stories, {sum(r['ok'] for r in records)}/{len(records)} scenes right, "
                  f"{time.time() - started:.0f} s", file=sys.stderr, flush=True)
    report(records, title)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1, default=lambda x: list(x) if isinstance(x, tuple) else str(x))


if __name__ == "__main__":
    main()
