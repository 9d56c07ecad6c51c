"""Content files that country offices edit (YAML), read into validated models.

A file that does not parse or validate is refused with one line naming the file, and the
line or the field at fault, so that a running bot never crashes on content.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
# libyaml's parser where PyYAML was built with it (its wheels are): the example banks parse
# in 0.45 s against 4.1 s with the pure-Python one (one run), at every model build
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(Exception):
    """A content file that cannot be used; ``str()`` names the file and the problem."""


def read_yaml(path: Path, model: type[M], error: type[ContentError] = ContentError) -> M:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise error(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise error(f"{path}: {place}: {first['msg']}") from None
