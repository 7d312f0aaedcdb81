"""The storyboard world: procedural multi-scene stories in plain English, the data the trained Tiny model learns.

A story has a cast of at most one ball and one square, each with one colour for the whole story. Every scene is one
3-second segment: a background colour and one or two cast objects, each with a start cell on a 3 x 3 grid and a
motion. The scene text always says the background, each object's motion and (unless it is the motion's default,
see DEFAULT_START) its start cell; an object's colour is said when it first appears and is often left out later
("the ball"), so the colour has to come from an earlier scene: the whole-story context the TTT layers carry.

Frames, the detector and the scene check are in storyboard_frames.py; this file is stdlib only.

Splits. Training and evaluation stories never coincide: they come from disjoint seed ranges (TRAIN_SEEDS,
EVAL_SEEDS), and a fixed set of (kind, colour, background) combinations (held_out_combo) never occurs in a training
story, so the evaluation can report scenes with combinations the model never saw apart from those it did.
"""
import json
import random
from dataclasses import dataclass, field

from tokenizer import tokenize, fnv1a

COLOURS = ("red", "green", "blue", "yellow", "white", "black", "purple", "orange")
KINDS = ("ball", "square")
MOTIONS = ("stays", "right", "left", "up", "down", "grows", "disappears")

# Grid cells (col, row): col 0 left .. 2 right, row 0 top .. 2 bottom. Names as a person says them.
CELL_NAMES = {
    (0, 0): "top left", (1, 0): "top", (2, 0): "top right",
    (0, 1): "left", (1, 1): "centre", (2, 1): "right",
    (0, 2): "bottom left", (1, 2): "bottom", (2, 2): "bottom right",
}
CELLS = tuple(CELL_NAMES)

# Where an object starts when the text does not say: "a red ball rolls to the right" crosses from the left.
DEFAULT_START = {"right": (0, 1), "left": (2, 1), "up": (1, 2), "down": (1, 0),
                 "stays": (1, 1), "grows": (1, 1), "disappears": (1, 1)}

TRAIN_SEEDS = range(0, 1_000_000_000)
EVAL_SEEDS = range(1_000_000_000, 2_000_000_000)


def held_out_combo(kind, colour, background):
    """About 1 in 12 of the (kind, colour, background) combinations: never in a training story."""
    return fnv1a(f"{kind}/{colour}/{background}") % 12 == 0


def end_cell(start, motion):
    col, row = start
    return {"right": (2, row), "left": (0, row), "up": (col, 0), "down": (col, 2)}.get(motion, start)


def motion_possible(start, motion):
    """A move must go somewhere: "moves right" from the right column is not a motion."""
    return end_cell(start, motion) != start or motion in ("stays", "grows", "disappears")


@dataclass
class SceneObject:
    kind: str          # "ball" | "square"
    colour: str        # the cast colour (the same in every scene of the story)
    start: tuple       # (col, row) at the scene's start
    motion: str        # one of MOTIONS
    colour_said: bool  # False when the text says "the ball" and the colour comes from an earlier scene
    start_said: bool   # False when the text leaves the start to DEFAULT_START
    first: bool = False  # the story's first mention of this object ("a red ball"; later "the red ball")

    @property
    def end(self):
        return end_cell(self.start, self.motion)


@dataclass
class Scene:
    background: str
    objects: list
    text: str = ""


@dataclass
class Story:
    seed: int
    title: str
    scenes: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------------
# Wording. Every phrase below is recognised by storyboard_parse.py; a test checks that text → spec round-trips.
# ----------------------------------------------------------------------------------------------------------------
AT_PHRASES = {  # a start cell, said as a place
    "side": ["on the {n}", "at the {n}", "on the {n} side"],
    "edge": ["at the {n}", "near the {n}"],
    "centre": ["in the centre", "in the middle", "at the centre"],
    "corner": ["in the {n} corner", "at the {n}"],
}
FROM_PHRASES = {  # a start cell, said as where a move begins
    "side": ["from the {n}", "from the {n} side"],
    "edge": ["from the {n}"],
    "centre": ["from the centre", "from the middle"],
    "corner": ["from the {n} corner"],
}
MOTION_VERBS = {
    "right": ["moves to the right", "slides to the right", "glides right", "moves right", "travels to the right"],
    "left": ["moves to the left", "slides to the left", "glides left", "moves left", "travels to the left"],
    "up": ["moves up", "rises", "slides up", "floats up", "climbs up"],
    "down": ["moves down", "falls", "drops down", "slides down", "sinks"],
    "stays": ["sits", "rests", "stays", "waits", "stands still"],
    "grows": ["grows", "grows bigger", "gets bigger", "swells"],
    "disappears": ["disappears", "vanishes", "fades away"],
}
BALL_VERBS = {"right": ["rolls to the right", "bounces to the right"], "left": ["rolls to the left", "bounces to the left"]}
BACKGROUND_PREFIX = ["On {a} {b} background, ", "On {a} {b} background ", "Against {a} {b} backdrop, ", "Over {a} {b} background, "]
BACKGROUND_SUFFIX = [" on {a} {b} background", " against {a} {b} backdrop"]
CROSSING_SUFFIX = " across {a} {b} background"  # only after a sideways move
BACKGROUND_SENTENCE = ["The background is {b}. ", "{a} {b} background. ", "The screen is {b}. "]
JOINERS = ["; ", ", while ", ", and ", ". "]


def _cell_kind(cell):
    name = CELL_NAMES[cell]
    if name == "centre":
        return "centre"
    if " " in name:
        return "corner"
    return "side" if name in ("left", "right") else "edge"


def _place(rng, cell, table):
    return rng.choice(table[_cell_kind(cell)]).format(n=CELL_NAMES[cell])


def _subject(obj):
    if not obj.colour_said:
        return f"the {obj.kind}"
    return f"{_article(obj.colour) if obj.first else 'the'} {obj.colour} {obj.kind}"


def _article(word):
    return "an" if word[0] in "aeiou" else "a"


def _verb(rng, obj):
    options = list(MOTION_VERBS[obj.motion])
    if obj.kind == "ball":
        options += BALL_VERBS.get(obj.motion, [])
    return rng.choice(options)


def _clause(rng, obj, subject):
    """One object's clause: subject, motion and (when said) start, in one of four word orders."""
    verb = _verb(rng, obj)
    if not obj.start_said:
        return f"{subject} {verb}"
    moving = obj.motion in ("right", "left", "up", "down")
    forms = ["place_first", "place_after_subject"] + (["from", "starts"] if moving else ["verb_then_place"])
    form = rng.choice(forms)
    if form == "place_first":
        return f"{_place(rng, obj.start, AT_PHRASES)}, {subject} {verb}"
    if form == "place_after_subject":
        return f"{subject} {_place(rng, obj.start, AT_PHRASES)} {verb}"
    if form == "from":
        return f"{subject} {verb} {_place(rng, obj.start, FROM_PHRASES)}"
    if form == "starts":
        return f"{subject} starts {_place(rng, obj.start, AT_PHRASES)} and {verb}"
    return f"{subject} {verb} {_place(rng, obj.start, AT_PHRASES)}"


def _capitalise(s):
    return s[0].upper() + s[1:] if s else s


def _sentence(rng, scene):
    """The scene's text: the background said once, as a prefix, a suffix or a sentence of its own."""
    clauses = [_clause(rng, o, _subject(o)) for o in scene.objects]
    style = rng.choice(("prefix", "suffix", "sentence"))
    body = clauses[0]
    if len(clauses) == 2:
        body = body + rng.choice(JOINERS) + clauses[1]
    b, a = scene.background, _article(scene.background)
    if style == "prefix":
        text = rng.choice(BACKGROUND_PREFIX).format(a=a, b=b) + body + "."
    elif style == "sentence":
        text = rng.choice(BACKGROUND_SENTENCE).format(a=a, b=b) + _capitalise(body) + "."
    else:
        suffixes = BACKGROUND_SUFFIX + ([CROSSING_SUFFIX] if scene.objects[0].motion in ("left", "right") else [])
        first = clauses[0] + rng.choice(suffixes).format(a=a, b=b)
        text = _capitalise(first + (rng.choice(JOINERS) + clauses[1] if len(clauses) == 2 else "")) + "."
    # Sentences after ". " start with a capital; the rest stays as written.
    return ". ".join(_capitalise(part) for part in text.split(". "))


# ----------------------------------------------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------------------------------------------
def _separated(objects, geometry):
    """No two objects closer than their radii plus a margin at the scene's start, middle or end (the detector
    tells objects apart by where they are)."""
    if len(objects) < 2 or geometry is None:
        return True
    a, b = objects
    for p in (0.0, 0.5, 1.0):
        (xa, ya, ra), (xb, yb, rb) = geometry.object_disc(a, p), geometry.object_disc(b, p)
        if ra > 0 and rb > 0 and (xa - xb) ** 2 + (ya - yb) ** 2 < (ra + rb + geometry.margin) ** 2:
            return False
    return True


def generate_story(seed, scenes, split, geometry, tokens_per_segment, vocabulary_size=4096):
    """A story of `scenes` scenes from `seed` (deterministic). split: "train" (no held-out combination, seed in
    TRAIN_SEEDS) or "eval" (seed in EVAL_SEEDS). geometry: storyboard_frames.Geometry, for the separation rule."""
    seeds = TRAIN_SEEDS if split == "train" else EVAL_SEEDS
    if seed not in seeds:
        raise ValueError(f"seed {seed} is not in the {split} seed range {seeds}")
    rng = random.Random(seed)
    kinds = rng.choice([("ball",), ("square",), ("ball", "square"), ("ball", "square")])
    cast = dict(zip(kinds, rng.sample(COLOURS, len(kinds))))
    backgrounds = [c for c in COLOURS if c not in cast.values()]
    story = Story(seed=seed, title=f"Storyboard {seed}")
    seen = set()  # kinds whose colour the text has said
    for _ in range(scenes):
        for _attempt in range(1000):
            scene = _draw_scene(rng, cast, backgrounds, seen, split)
            if scene is None or not _separated(scene.objects, geometry):
                continue
            scene.text = _sentence(rng, scene)
            if len(tokenize(scene.text, vocabulary_size)) <= tokens_per_segment:
                break
        else:
            raise RuntimeError(f"seed {seed}: no valid scene in 1000 draws")
        seen.update(o.kind for o in scene.objects)
        story.scenes.append(scene)
    return story


def _draw_scene(rng, cast, backgrounds, seen, split):
    background = rng.choice(backgrounds)
    kinds = list(cast)
    present = rng.sample(kinds, rng.choice([1, len(kinds)]) if len(kinds) == 2 else 1)
    objects = []
    for kind in present:
        if split == "train" and held_out_combo(kind, cast[kind], background):
            return None
        motion = rng.choice(MOTIONS)
        start = rng.choice([c for c in CELLS if motion_possible(c, motion)])
        if rng.random() < 0.3 and motion_possible(DEFAULT_START[motion], motion):
            start = DEFAULT_START[motion]  # common enough that the default-start wording is well represented
        start_said = not (start == DEFAULT_START[motion] and rng.random() < 0.5)
        colour_said = kind not in seen or rng.random() < 0.3
        objects.append(SceneObject(kind, cast[kind], start, motion, colour_said, start_said, first=kind not in seen))
    return Scene(background, objects)


def is_carried(scene):
    """True when some object's colour is not in the scene's text (it comes from an earlier scene)."""
    return any(not o.colour_said for o in scene.objects)


# ----------------------------------------------------------------------------------------------------------------
# Story files
# ----------------------------------------------------------------------------------------------------------------
def story_yaml(story, steps=None, guidance=None, guidance_power=None):
    """A story file for `ttt render` (docs/STORY.md). Texts are JSON strings, which YAML reads as double-quoted
    scalars; the world's texts are plain ASCII, so nothing needs escaping beyond what json.dumps does."""
    lines = [f"title: {json.dumps(story.title)}", f"seed: {story.seed}"]
    settings = {k: v for k, v in (("steps", steps), ("guidance", guidance), ("guidance_power", guidance_power)) if v is not None}
    if settings:
        lines.append("settings: { " + ", ".join(f"{k}: {v}" for k, v in settings.items()) + " }")
    lines.append("scenes:")
    lines += [f"  - text: {json.dumps(s.text)}" for s in story.scenes]
    return "\n".join(lines) + "\n"


def story_json(story):
    """The story's ground truth (scene specs and texts), for eval reports and test fixtures."""
    return {"seed": story.seed, "title": story.title, "scenes": [
        {"text": s.text, "background": s.background, "objects": [
            {"kind": o.kind, "colour": o.colour, "start": CELL_NAMES[o.start], "end": CELL_NAMES[o.end],
             "motion": o.motion, "colour_said": o.colour_said, "start_said": o.start_said} for o in s.objects]}
        for s in story.scenes]}
