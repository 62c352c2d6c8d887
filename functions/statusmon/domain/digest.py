"""Buckets and digests: how a quiet sweep knows, from one read, that nothing changed.

Every resource of a service falls into one of :data:`BUCKETS` buckets by a hash of its ARN. A
bucket's *digest* is a hash of what the sweep compares for each of its listed resources (see
:func:`fingerprint`). When a sweep has reconciled a bucket completely (every change in it recorded,
nothing unreadable, nothing awaiting deletion), it stores the bucket's digest together with the
bucket's write *generation*, a counter that every recorded transition of the bucket increments in
its own transaction. The next sweep reads all marks of the service in one Query and skips a bucket
when

* its generation is still the one the digest was stored at (no writer, this sweep or another,
  recorded anything in it since), and
* the digest of what is listed now equals the stored one (the same resources, with the same
  statuses, failure reasons and failure timestamps as when it was reconciled).

Both together mean that diffing the bucket again would find nothing, so its states are not read.
Any doubt (a bucket never reconciled, a generation that moved, a digest write that lost a race)
only costs reading that bucket again; it can never hide a change.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from statusmon.domain.model import STATS, BucketMark, Observation, iso
from statusmon.domain.vocabulary import Phase

# Fixed for the life of a table (a writer using another count would move the wrong generations);
# at most 256. The fault suite uses fewer, so that many resources share a bucket.
BUCKETS = 256


def bucket_of(arn: str) -> str:
    """The bucket of a resource: two hex digits, also the prefix of its by_service sort key."""
    return f"{hashlib.blake2b(arn.encode(), digest_size=1).digest()[0] % BUCKETS:02x}"


def fingerprint(observation: Observation) -> str:
    """Exactly what :func:`statusmon.logic.changes.is_change` compares, and nothing else: a reason or
    timestamp that changes while a resource is in flight causes no write, so it must not cause a read."""
    failed = observation.phase is Phase.FAILED
    # A complete resource's timestamp and stats (a quick operation's only trace): a dataset's listing
    # carries neither (only its Describe does), so for datasets this part is always empty here.
    complete = observation.phase is Phase.COMPLETE
    stats = observation.details.get(STATS) if complete else None
    return "\x1f".join(
        (
            observation.resource_arn,
            observation.status,
            (observation.reason or "") if failed else "",
            (iso(observation.updated_at) or "") if failed else "",
            observation.updated_at.isoformat() if complete and observation.updated_at else "",
            json.dumps(stats, sort_keys=True, default=str) if isinstance(stats, dict) else "",
        )
    )


def digests(observations: Iterable[Observation]) -> dict[str, str]:
    """The digest of every bucket that holds at least one of ``observations``."""
    prints: dict[str, list[str]] = defaultdict(list)
    for observation in observations:
        prints[bucket_of(observation.resource_arn)].append(fingerprint(observation))
    return {bucket: _digest(sorted(lines)) for bucket, lines in prints.items()}


EMPTY = hashlib.blake2b(b"", digest_size=8).hexdigest()


def _digest(lines: list[str]) -> str:
    return hashlib.blake2b("\n".join(lines).encode(), digest_size=8).hexdigest() if lines else EMPTY


def buckets_to_read(
    listed: Mapping[str, str], marks: Mapping[str, BucketMark], *, also: Iterable[str] = ()
) -> set[str]:
    """Buckets whose states the sweep must read: listed or marked, and not matching their mark.

    ``listed`` is the digest of every bucket with listed resources (:func:`digests`). A bucket with
    neither listed resources nor a mark holds no state (every recorded transition creates its
    bucket's mark), so it is not read. ``also``: buckets to read whatever their marks say.
    """
    changed = {
        bucket for bucket, digest in listed.items() if bucket not in marks or not marks[bucket].still(digest)
    }
    emptied = {bucket for bucket, mark in marks.items() if bucket not in listed and not mark.still(EMPTY)}
    return changed | emptied | set(also)
