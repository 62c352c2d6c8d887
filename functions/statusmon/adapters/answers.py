"""An AWS answer is data only after it is checked: the guard every source call goes through.

botocore parses whatever a 200 answer holds: an empty, HTML or truncated body becomes ``{}``, a JSON
``null`` becomes a missing key, and a string where a list belongs crashes its parser with an
``AttributeError``. Read as data, ``{}`` is "nothing there", and a sweep that believes it deletes
everything. So every source client gets a check of the raw answer against the operation's output
shape before botocore parses it (valid JSON, an object, no nulls, every member of its modelled type),
and every call goes through :func:`call`, which turns any failure into one of our errors. The
sources then require what they read (:func:`required_list`, :func:`required_text`), and page through
listings with :class:`Pages`, which stops at a token seen before, at the deadline, and at a page cap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore
from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters.errors import AwsError, translate
from statusmon.domain.model import never

# A listing of more pages than this is taken as a paging loop: 100 per page, a million resources.
MAX_PAGES = 10_000

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
}


class MalformedAnswerError(AwsError):
    """A 200 answer that is not what the operation returns: a read problem, never data."""


class OutOfTimeError(AwsError):
    """The sweep's deadline came while a listing was still paging."""


def _shape_problem(shape: Any, value: Any, path: str) -> str | None:
    """The first place where ``value`` is not of the modelled ``shape``, or None."""
    if value is None:
        return f"{path} is null"
    kind = shape.type_name
    container = {"structure": dict, "map": dict, "list": list}.get(kind)
    if container is not None:
        if not isinstance(value, container):
            return f"{path} is a {type(value).__name__}, not a {kind}"
        return next((p for p in _member_problems(shape, value, path) if p), None)
    expected = _SCALARS.get(kind)
    if expected and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
        return f"{path} is a {type(value).__name__}, not a {kind}"
    return None


def _member_problems(shape: Any, value: Any, path: str) -> Iterator[str | None]:
    if shape.type_name == "list":
        for index, item in enumerate(value):
            yield _shape_problem(shape.member, item, f"{path}[{index}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            yield _shape_problem(shape.value, item, f"{path}.{key}")
    else:
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                yield _shape_problem(member, value[key], f"{path}.{key}")


def check_raw_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore ``before-parse`` hook: a 200 answer must be a JSON object of the output shape."""
    if response_dict.get("status_code") != 200 or operation_model.has_streaming_output:
        return
    name = operation_model.name
    body = response_dict.get("body") or b""
    try:
        document = json.loads(body)
    except ValueError:
        kind = "an empty body" if not body.strip() else "a body that is not JSON"
        raise MalformedAnswerError(
            f"{name}: the service sent {kind}; the next sweep reads it again"
        ) from None
    shape = operation_model.output_shape
    problem = _shape_problem(shape, document, name) if shape is not None else None
    if problem:
        raise MalformedAnswerError(f"{name}: malformed answer ({problem}); the next sweep reads it again")


# botocore emits before-parse since 1.35.16 (September 2024). In Lambda botocore is the runtime's,
# not the pinned one: an older one would take the hook and never call it, so refuse it instead.
BEFORE_PARSE_SINCE = (1, 35, 16)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split(".")[:3])


def guard(client: Any) -> Any:
    """Check every answer of ``client`` before botocore parses it."""
    if _version(botocore.__version__) < BEFORE_PARSE_SINCE:
        raise AwsError(
            f"botocore {botocore.__version__} cannot check answers before parsing them (needs "
            f"{'.'.join(map(str, BEFORE_PARSE_SINCE))} or newer): update the runtime's or ship a newer one"
        )
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-parse.{service}.*", check_raw_answer, unique_id="statusmon-answers")
    return client


def call(operation: Callable[..., dict[str, Any]], what: str, **kwargs: Any) -> dict[str, Any]:
    """One AWS call; every way it can fail becomes an :class:`AwsError` naming ``what``."""
    try:
        answer = operation(**kwargs)
    except AwsError:
        raise
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, what) from exc
    except Exception as exc:  # botocore's parsers raise bare errors (AttributeError...) on bad answers
        raise MalformedAnswerError(
            f"{what}: unreadable answer ({type(exc).__name__}: {exc}); the next sweep reads it again"
        ) from exc
    if not isinstance(answer, dict):
        raise MalformedAnswerError(f"{what}: unreadable answer (not an object)")
    return answer


def required_list(answer: dict[str, Any], key: str, what: str) -> list[Any]:
    """``answer[key]`` as a list; its absence is a malformed answer, not an empty one."""
    value = answer.get(key)
    if not isinstance(value, list):
        raise MalformedAnswerError(f"{what}: the answer has no {key} list; the next sweep reads it again")
    return value


def required_text(item: Any, key: str) -> str | None:
    """``item[key]`` when it is a non-empty string, else None (the caller reports what is missing)."""
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) and value else None


class Pages:
    """Pages of one listing: ``request`` takes the token (None first) and returns (page, next token).

    A token seen before (a loop), more than :data:`MAX_PAGES` pages, or the deadline end the listing
    with an error, so the caller marks it incomplete instead of paging forever.
    """

    def __init__(self, what: str, out_of_time: Callable[[], bool] = never) -> None:
        self.what = what
        self.out_of_time = out_of_time
        self.count = 0

    def read(self, request: Callable[[str | None], tuple[dict[str, Any], Any]]) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        token: str | None = None
        while True:
            if self.out_of_time():
                raise OutOfTimeError(f"{self.what}: stopped at the sweep's deadline after {self.count} pages")
            page, following = request(token)
            self.count += 1
            yield page
            if following is None or following == "":
                return
            if not isinstance(following, str):
                raise MalformedAnswerError(f"{self.what}: a paging token that is not a string")
            if following in seen:
                raise MalformedAnswerError(
                    f"{self.what}: the service repeated a paging token (a loop); the listing is incomplete"
                )
            if len(seen) >= MAX_PAGES:
                raise MalformedAnswerError(
                    f"{self.what}: more than {MAX_PAGES} pages; the listing is incomplete"
                )
            seen.add(following)
            token = following
