"""Self-checks of the storyboard world: /usr/bin/python3 tools/train/test_storyboard.py (about a minute).

1. The detector recovers the ground truth (background, object colours, start and end cells) from the renderer's own
   frames for at least 99% of scenes, train and eval splits.
2. Every sentence reads back (storyboard_parse.py) into exactly the scene the generator meant, colours carried.
3. The same seed gives the same story and the same frames; the splits hold (no held-out combination and no eval
   seed in training); every text fits the model's text tokens; the YAML writer's output is one scene a line.
4. examples/one-minute.yaml is written in the world's language: every scene reads back, fits the text tokens,
   keeps its cast (one ball, one square, a colour each), never hides an object in its background, and keeps two
   objects apart as generated scenes do.
5. train.py's resume check: a step threshold (--dit-short-steps, --dit-pure-noise-steps) may change on resume while
   neither value has been reached; any other change is refused.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import storyboard_parse as sp  # noqa: E402
from tokenizer import tokenize  # noqa: E402

MODEL = os.path.join(HERE, "..", "..", "models", "tiny.safetensors")
GEOMETRY = sf.Geometry.from_model(MODEL)
failures = []


def check(label, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(label)


def stories(split, count, scenes, first_seed):
    return [sb.generate_story(first_seed + i, scenes, split, GEOMETRY, GEOMETRY.text_tokens) for i in range(count)]


def test_detector():
    for split, first in (("train", 0), ("eval", sb.EVAL_SEEDS.start)):
        right = total = 0
        for story in stories(split, 60, 5, first):
            for scene in story.scenes:
                start = sf.detect(GEOMETRY, sf.render_scene(GEOMETRY, scene, 0.0))
                end = sf.detect(GEOMETRY, sf.render_scene(GEOMETRY, scene, 1.0))
                right += sf.check_scene(scene, start, end)["ok"]
                total += 1
        check(f"detector on rendered frames, {split}", right >= 0.99 * total, f"{right}/{total} scenes right")


def test_parse():
    right = total = carried = 0
    for story in stories("train", 300, 5, 10_000) + stories("eval", 100, 5, sb.EVAL_SEEDS.start + 10_000):
        parsed = sp.parse_story([s.text for s in story.scenes])
        for scene, got in zip(story.scenes, parsed):
            want = (scene.background, [(o.kind, o.colour, o.start, o.motion, o.colour_said) for o in scene.objects])
            right += want == got
            carried += sb.is_carried(scene)
            total += 1
    check("sentences read back into their scenes", right == total, f"{right}/{total} ({carried} with a carried colour)")


def test_determinism_and_splits():
    a, b = stories("train", 5, 6, 77), stories("train", 5, 6, 77)
    check("same seed, same story", [sb.story_json(s) for s in a] == [sb.story_json(s) for s in b])
    fa = sf.render_latent_frames(GEOMETRY, a[0])
    fb = sf.render_latent_frames(GEOMETRY, b[0])
    check("same seed, same frames", np.array_equal(fa, fb), f"{fa.shape[0]} latent frames of {fa.shape[1:]}")
    check("frames at the decoder's size", fa.shape == (GEOMETRY.latent_frames(6), GEOMETRY.height, GEOMETRY.width, 3))
    train = stories("train", 300, 5, 50_000)
    held = sum(sb.held_out_combo(o.kind, o.colour, s.background) for st in train for s in st.scenes for o in s.objects)
    check("no held-out combination in training stories", held == 0)
    evals = stories("eval", 300, 5, sb.EVAL_SEEDS.start + 50_000)
    held = sum(sb.held_out_combo(o.kind, o.colour, s.background) for st in evals for s in st.scenes for o in s.objects)
    check("held-out combinations occur in eval stories", held > 0, f"{held} objects")
    try:
        sb.generate_story(sb.EVAL_SEEDS.start, 3, "train", GEOMETRY, GEOMETRY.text_tokens)
        check("an eval seed is refused for training", False)
    except ValueError:
        check("an eval seed is refused for training", True)
    longest = max(len(tokenize(s.text, GEOMETRY.vocabulary_size)) for st in train for s in st.scenes)
    check("every text fits the model's text tokens", longest <= GEOMETRY.text_tokens,
          f"longest {longest} of {GEOMETRY.text_tokens} tokens")
    yaml = sb.story_yaml(train[0])
    check("YAML story: one line a scene", yaml.count("  - text: ") == 5 and yaml.startswith("title: "))


def test_example_story():
    import eval_storyboard
    path = os.path.join(HERE, "..", "..", "examples", "one-minute.yaml")
    story = eval_storyboard.story_from_file(path)
    check("examples/one-minute.yaml reads back scene by scene", len(story.scenes) == 20, f"{len(story.scenes)} scenes")
    cast = {}
    for k, scene in enumerate(story.scenes):
        for o in scene.objects:
            check(f"scene {k + 1}: the {o.kind} keeps its colour", cast.setdefault(o.kind, o.colour) == o.colour)
            check(f"scene {k + 1}: the {o.kind} differs from the background", o.colour != scene.background)
            check(f"scene {k + 1}: the {o.kind} can make its move", sb.motion_possible(o.start, o.motion))
        check(f"scene {k + 1}: objects apart", sb._separated(scene.objects, GEOMETRY))
        tokens = len(tokenize(scene.text, GEOMETRY.vocabulary_size))
        check(f"scene {k + 1}: fits the text tokens", tokens <= GEOMETRY.text_tokens, f"{tokens} tokens")


def test_resume_rules():
    """train.py's resume check: a step threshold may change until either value is reached; nothing else may."""
    import train
    recorded = {"short_steps": 2400, "pure_noise_steps": 800, "object_weight": 10.0}
    same_but = lambda **changed: {**recorded, **changed}
    check("resume: same settings", train.resume_conflicts(recorded, recorded, 1500) == [])
    check("resume: a shorter short phase not reached yet",
          train.resume_conflicts(recorded, same_but(short_steps=1800), 863) == [])
    check("resume: a shorter short phase up to its end",
          train.resume_conflicts(recorded, same_but(short_steps=1800), 1800) == [])
    check("resume: a shorter short phase already passed",
          train.resume_conflicts(recorded, same_but(short_steps=1800), 1801) == ["short_steps"])
    check("resume: a longer pure-noise phase already passed",
          train.resume_conflicts(recorded, same_but(pure_noise_steps=1000), 900) == ["pure_noise_steps"])
    check("resume: another object weight, even at step 0",
          train.resume_conflicts(recorded, same_but(object_weight=1.0), 0) == ["object_weight"])


if __name__ == "__main__":
    test_resume_rules()
    test_example_story()
    test_detector()
    test_parse()
    test_determinism_and_splits()
    print("all passed" if not failures else f"{len(failures)} failed: {failures}")
    sys.exit(1 if failures else 0)
