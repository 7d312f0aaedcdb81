"""Pixels of the storyboard world: the frame geometry (read from the model file), a renderer, a detector and the
scene check used by the evaluation.

Time. A story of n scenes has T = 1 + F·n latent frames (docs/MODEL.md §1, F = framesPerSegment) and the Tiny
decoder makes video frame f from latent frames ⌊f/S⌋ and ⌊f/S⌋+1 (S = framesPerLatentFrame), blended linearly.
Segment k owns latent frames F·k+1 .. F·k+F (segment 0 also frame 0; MODEL.md §2), so the world is defined on
latent frames: latent frame F·k+j (j = 1..F) shows scene k at progress (j−1)/(F−1), frame 0 shows scene 0 at
progress 0. Between a scene's last latent frame and the next scene's first one the decoder cross-fades (a cut
becomes a 1-second dissolve at S = 16, 16 fps): that is what this decoder can draw, so the world does not pretend
otherwise. The detector checks scene k at video frames S·(F·k+1) (progress 0) and S·(F·k+F) (progress 1).
"""
import json
import math
import struct
from dataclasses import dataclass

import numpy as np

import storyboard as sb

PALETTE = {  # RGB in [0, 1]; nearest-colour classification uses these
    "red": (0.90, 0.10, 0.10), "green": (0.10, 0.70, 0.20), "blue": (0.10, 0.25, 0.90),
    "yellow": (0.95, 0.90, 0.10), "white": (0.97, 0.97, 0.97), "black": (0.05, 0.05, 0.05),
    "purple": (0.55, 0.15, 0.75), "orange": (1.00, 0.55, 0.05),
}
PALETTE_NAMES = list(PALETTE)
PALETTE_RGB = np.array([PALETTE[c] for c in PALETTE_NAMES], dtype=np.float32)


def read_metadata(path):
    """The safetensors header's __metadata__ (stdlib only: 8-byte little-endian length, then JSON)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)).get("__metadata__", {})


@dataclass
class Geometry:
    latent_height: int
    latent_width: int
    upscale: int                 # pixels per latent pixel (ttt_decoder.upscale)
    frames_per_latent: int       # S, video frames per latent frame (ttt_decoder.framesPerLatentFrame)
    fps: int
    frames_per_segment: int      # F, latent frames a segment adds (ttt_config.framesPerSegment)
    text_tokens: int             # Lt (ttt_config.textTokensPerSegment), incl. start and end of scene
    vocabulary_size: int

    @staticmethod
    def from_model(path):
        meta = read_metadata(path)
        cfg, dec = json.loads(meta["ttt_config"]), json.loads(meta["ttt_decoder"])
        return Geometry(cfg["latentHeight"], cfg["latentWidth"], dec["upscale"], dec["framesPerLatentFrame"],
                        dec["framesPerSecond"], cfg["framesPerSegment"], cfg["textTokensPerSegment"],
                        json.loads(meta["ttt_text_encoder"])["vocabularySize"])

    @property
    def height(self):
        return self.latent_height * self.upscale

    @property
    def width(self):
        return self.latent_width * self.upscale

    # Objects: a ball of radius r, a square of the same area (half side r·√π/2). Cell centres on a 3 x 3 grid, rows
    # at 0.2/0.5/0.8 of the height so a top or bottom object stays inside the frame.
    @property
    def radius(self):
        return 0.125 * self.height   # 16 px at 128: one latent pixel, so an object spans about two

    @property
    def margin(self):
        return 1.5 * self.radius     # free space between two objects (the decoder blurs about one latent pixel)

    def cell_centre(self, cell):
        col, row = cell
        return (col + 0.5) * self.width / 3, (0.2, 0.5, 0.8)[row] * self.height

    def object_disc(self, obj, p):
        """(x, y, r) of obj at progress p in [0, 1]; r = 0 once it has disappeared."""
        (x0, y0), (x1, y1) = self.cell_centre(obj.start), self.cell_centre(obj.end)
        r = self.radius
        if obj.motion == "grows":
            r *= 1 + 0.6 * p
        elif obj.motion == "disappears":
            r *= 1 - p       # shrinks away: only palette colours on screen, which the decoder learns exactly
        return x0 + (x1 - x0) * p, y0 + (y1 - y0) * p, r

    # ------------------------------------------------------------------------------------------------------------
    # time
    # ------------------------------------------------------------------------------------------------------------
    def latent_frames(self, scenes):
        return 1 + self.frames_per_segment * scenes

    def video_frames(self, scenes):
        return (self.latent_frames(scenes) - 1) * self.frames_per_latent + 1

    def latent_time(self, t):
        """(scene index, progress) shown by latent frame t."""
        if t == 0:
            return 0, 0.0
        k, j = (t - 1) // self.frames_per_segment, (t - 1) % self.frames_per_segment
        return k, j / (self.frames_per_segment - 1)

    def check_frames(self, k):
        """Video frames at which scene k is checked: its start (progress 0) and end (progress 1)."""
        F, S = self.frames_per_segment, self.frames_per_latent
        return S * (F * k + 1), S * (F * k + F)


# ----------------------------------------------------------------------------------------------------------------
# Renderer
# ----------------------------------------------------------------------------------------------------------------
def render_scene(geometry, scene, p):
    """Scene at progress p as float32 RGB [H, W, 3] in [0, 1]. Edges are anti-aliased over one pixel so a moving
    object's centroid moves smoothly."""
    H, W = geometry.height, geometry.width
    frame = np.empty((H, W, 3), dtype=np.float32)
    frame[:] = PALETTE[scene.background]
    for obj in scene.objects:
        x, y, r = geometry.object_disc(obj, p)
        if r <= 0:
            continue
        # Only the object's bounding box is computed: training renders thousands of frames a minute.
        y0, y1 = max(int(y - r) - 2, 0), min(int(y + r) + 3, H)
        x0, x1 = max(int(x - r) - 2, 0), min(int(x + r) + 3, W)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
        if obj.kind == "ball":
            inside = r - np.sqrt((xs - x) ** 2 + (ys - y) ** 2)
        else:
            half = r * math.sqrt(math.pi) / 2
            inside = half - np.maximum(np.abs(xs - x), np.abs(ys - y))
        alpha = np.clip(inside + 0.5, 0.0, 1.0)[..., None]
        crop = frame[y0:y1, x0:x1]
        frame[y0:y1, x0:x1] = crop * (1 - alpha) + alpha * np.array(PALETTE[obj.colour], dtype=np.float32)
    return frame


def render_latent_frames(geometry, story):
    """The frames the latent frames stand for, [T, H, W, 3] (what the encoder reads)."""
    out = []
    for t in range(geometry.latent_frames(len(story.scenes))):
        k, p = geometry.latent_time(t)
        out.append(render_scene(geometry, story.scenes[k], p))
    return np.stack(out)


# ----------------------------------------------------------------------------------------------------------------
# Detector
# ----------------------------------------------------------------------------------------------------------------
def nearest_colour(rgb, exclude=None):
    d = ((PALETTE_RGB - np.asarray(rgb, dtype=np.float32)) ** 2).sum(axis=1)
    if exclude is not None:
        d[PALETTE_NAMES.index(exclude)] = np.inf
    return PALETTE_NAMES[int(np.argmin(d))]


def _components(mask):
    """Labels of the 4-connected components of a boolean mask (0 = background), by propagating the smallest label
    to neighbours until nothing changes: numpy only, and objects are small, so few rounds."""
    H, W = mask.shape
    big = H * W + 1
    labels = np.where(mask, np.arange(1, H * W + 1).reshape(H, W), big)
    while True:
        m = labels.copy()
        m[1:] = np.minimum(m[1:], labels[:-1])
        m[:-1] = np.minimum(m[:-1], labels[1:])
        m[:, 1:] = np.minimum(m[:, 1:], labels[:, :-1])
        m[:, :-1] = np.minimum(m[:, :-1], labels[:, 1:])
        m = np.where(mask, m, big)
        if np.array_equal(m, labels):
            break
        labels = m
    return np.where(mask, labels, 0)


def detect(geometry, frame):
    """What a frame shows: {"background": colour, "objects": [{"colour", "cell", "x", "y", "area"}]}.

    Background: the palette colour nearest the median pixel (objects cover well under half the frame).
    Objects: connected regions that differ from the measured background by more than half the smallest distance
    between two palette colours. A region's colour is the palette colour nearest the median of its most distinct
    pixels (the blurred rim of a red ball on blue is purple-ish; its core is red); its position is its centroid's
    cell. Regions smaller than a fifth of an object's area are noise."""
    frame = np.asarray(frame, dtype=np.float32)
    H, W, _ = frame.shape
    bg_rgb = np.median(frame.reshape(-1, 3), axis=0)
    background = nearest_colour(bg_rgb)
    distance = np.sqrt(((frame - bg_rgb) ** 2).sum(axis=2))
    labels = _components(distance > 0.18)
    min_area = 0.2 * math.pi * geometry.radius ** 2
    objects = []
    for label in np.unique(labels[labels > 0]):
        ys, xs = np.nonzero(labels == label)
        if len(ys) < min_area:
            continue
        d = distance[ys, xs]
        core = d >= 0.7 * d.max()
        colour = nearest_colour(np.median(frame[ys[core], xs[core]], axis=0), exclude=background)
        x, y = xs.mean() + 0.5, ys.mean() + 0.5
        cell = (min(int(3 * x / W), 2), min(int(3 * y / H), 2))
        objects.append({"colour": colour, "cell": cell, "x": float(x), "y": float(y), "area": int(len(ys))})
    return {"background": background, "objects": objects}


def check_scene(scene, start, end):
    """Compares a scene's spec with the detections at its start and end frames. A scene is right when both frames
    show its background, each object is found in its colour at its start cell and at its end cell (absent at the
    end when it disappears), and nothing else is found."""
    result = {"background_start": start["background"] == scene.background,
              "background_end": end["background"] == scene.background, "objects": []}
    result["background"] = result["background_start"] and result["background_end"]
    for when, det in (("start", start), ("end", end)):
        expected = {o.colour for o in scene.objects if not (when == "end" and o.motion == "disappears")}
        result["extra_" + when] = sum(1 for d in det["objects"] if d["colour"] not in expected)
    result["extra"] = result["extra_start"] + result["extra_end"]  # kept apart above so a report can say which
    for when, det in (("start", start), ("end", end)):
        cells = {tuple(o.start if when == "start" else o.end) for o in scene.objects
                 if not (when == "end" and o.motion == "disappears")}
        result["off_cell_" + when] = sum(1 for d in det["objects"] if tuple(d["cell"]) not in cells)
        result["detections_" + when] = len(det["objects"])
    for o in scene.objects:
        found_start = [d for d in start["objects"] if d["colour"] == o.colour]
        found_end = [d for d in end["objects"] if d["colour"] == o.colour]
        start_ok = len(found_start) == 1 and found_start[0]["cell"] == o.start
        end_ok = (not found_end) if o.motion == "disappears" else (len(found_end) == 1 and found_end[0]["cell"] == o.end)
        grew = None
        if o.motion == "grows" and len(found_start) == 1 and len(found_end) == 1:
            grew = found_end[0]["area"] > 1.5 * found_start[0]["area"]
        at_start = [d for d in start["objects"] if tuple(d["cell"]) == tuple(o.start)]
        result["objects"].append({"kind": o.kind, "colour": o.colour, "colour_said": o.colour_said, "motion": o.motion,
                                  "found_start": len(found_start), "found_end": len(found_end),
                                  "colour_found": bool(found_start), "start": start_ok, "end": end_ok, "grew": grew,
                                  "placed_start": bool(at_start),
                                  "coloured_at_start": any(d["colour"] == o.colour for d in at_start)})
    result["ok"] = result["background"] and result["extra"] == 0 and all(
        r["colour_found"] and r["start"] and r["end"] for r in result["objects"])
    return result
