"""Reads a storyboard scene's text back into its spec: the check that every sentence the generator writes says
exactly one scene (test_storyboard.py), and a reader for hand-written stories in the world's language.

It knows the generator's vocabulary (storyboard.py) and nothing else: colour + "background"/"backdrop" (or "the
background/screen is" + colour) for the background; one clause per object, separated by ";", ", while", ", and"
or a full stop; in each clause the kind, an optional colour before it, one motion phrase and an optional place
("on/at/in/near/from the" + a cell name).
"""
import re

import storyboard as sb

_BACKGROUND_IS = re.compile(r"\b(?:the )?(?:background|screen) is (\w+)\b")
_BACKGROUND_OF = re.compile(r"\b(?:an? )?(\w+) (?:background|backdrop)\b")
_SEPARATORS = re.compile(r";|, while |, and |\. ")
_PLACE = re.compile(r"\b(?:on|at|in|near|from) the (top left|top right|bottom left|bottom right|top|bottom|left|right"
                    r"|centre|middle)(?: corner| side)?\b")
_NAME_TO_CELL = {name: cell for cell, name in sb.CELL_NAMES.items()}
_NAME_TO_CELL["middle"] = (1, 1)
# Longest phrase first, so "grows bigger" is read before "grows".
_MOTION_PHRASES = sorted([(p, m) for m, ps in sb.MOTION_VERBS.items() for p in ps]
                         + [(p, m) for m, ps in sb.BALL_VERBS.items() for p in ps], key=lambda pm: -len(pm[0]))


def parse_scene(text, cast):
    """(background, [(kind, colour, start cell, motion, colour_said)]) from a scene's text. cast: {kind: colour}
    of the objects earlier scenes introduced (a clause without a colour takes it from there)."""
    t = text.lower().rstrip(".")
    found = _BACKGROUND_IS.search(t) or _BACKGROUND_OF.search(t)
    if not found:
        raise ValueError(f"no background in {text!r}")
    background = found.group(1)
    if background not in sb.COLOURS:
        raise ValueError(f"background {background!r} is not a colour in {text!r}")
    t = t[:found.start()] + t[found.end():]
    objects = []
    for clause in _SEPARATORS.split(t):
        kinds = [k for k in sb.KINDS if re.search(rf"\b{k}\b", clause)]
        if not kinds:
            if clause.strip(" ,."):
                raise ValueError(f"a clause without an object: {clause!r} in {text!r}")
            continue
        if len(kinds) != 1:
            raise ValueError(f"a clause with {kinds}: {clause!r} in {text!r}")
        kind = kinds[0]
        colour_match = re.search(rf"\b(\w+) {kind}\b", clause)
        said = colour_match is not None and colour_match.group(1) in sb.COLOURS
        colour = colour_match.group(1) if said else cast.get(kind)
        if colour is None:
            raise ValueError(f"the {kind} has no colour yet in {text!r}")
        motions = [m for p, m in _MOTION_PHRASES if re.search(rf"\b{p}\b", clause)]
        if not motions or len(set(motions)) != 1:
            raise ValueError(f"expected one motion, found {motions} in {clause!r}")
        place = _PLACE.search(clause)
        start = _NAME_TO_CELL[place.group(1)] if place else sb.DEFAULT_START[motions[0]]
        objects.append((kind, colour, start, motions[0], said))
    return background, objects


def parse_story(texts):
    """Scene specs of a whole story, carrying each object's colour from the scene that said it."""
    cast, out = {}, []
    for text in texts:
        background, objects = parse_scene(text, cast)
        cast.update({kind: colour for kind, colour, _, _, said in objects if said})
        out.append((background, objects))
    return out
