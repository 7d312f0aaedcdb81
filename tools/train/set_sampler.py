"""Writes a model file's own sampler defaults: the `ttt_sampler` metadata entry (JSON: steps, guidance,
guidancePower) that `ttt render`, `ttt serve` and the farm use for a story that leaves a setting out. The tensors are
rewritten bit for bit; only the metadata changes. Choose the values with eval_storyboard.py (`--guidance`, `--steps`)
on held-out stories, and say in tools/train/README.md which run chose them.

    /usr/bin/python3 tools/train/set_sampler.py models/tiny.safetensors --guidance 2
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from safetensors_io import load_file, save_file  # noqa: E402

KEY = "ttt_sampler"
# The ranges a story may ask for (src/TttCluster.Stories/StoryLimits.cs); the engine refuses a file outside them.
LIMITS = {"steps": (1, 200), "guidance": (0.0, 30.0), "guidancePower": (0.0, 10.0)}


def sampler_json(steps, guidance, guidance_power):
    values = {"steps": steps, "guidance": guidance, "guidancePower": guidance_power}
    for name, (low, high) in LIMITS.items():
        if not low <= values[name] <= high:
            raise ValueError(f"{name}: expected a value from {low} to {high}, found {values[name]}")
    return json.dumps(values, separators=(",", ":"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, required=True)
    p.add_argument("--guidance-power", type=float, default=1.0)
    args = p.parse_args()
    try:
        entry = sampler_json(args.steps, args.guidance, args.guidance_power)
    except ValueError as e:
        p.error(str(e))
    tensors, meta = load_file(args.model, widen=False)
    meta[KEY] = entry
    temporary = args.model + ".partial"
    save_file(tensors, temporary, meta)
    back, back_meta = load_file(temporary, widen=False)
    assert back_meta == meta and all(back[k].equal(tensors[k]) for k in tensors), f"{temporary}: read-back mismatch"
    os.replace(temporary, args.model)
    print(f"{args.model}: {KEY} = {entry}")


if __name__ == "__main__":
    main()
