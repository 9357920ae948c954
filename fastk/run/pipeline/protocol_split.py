"""The data step's protocol path: the run's ``split.protocol`` lists in place of the random subject split.

Order matters, for the user's time: the protocol reads its files and matches them against the
dataset *before* faces are looked for (a missing or malformed protocol file fails in seconds, not
after minutes of face finding), faces are then looked for only in the images the lists name, and the
images without a usable face are dropped from the lists (counted per split) before the lists are
checked again (:func:`fastk.data.protocols.check_parts`): dropping faces can empty a split or a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastk.data.datasets import Dataset, Sample
from fastk.data.protocols import Protocol, ProtocolSplit, check_parts
from fastk.plugin.plugins import create


def planned(p, dataset: Dataset, samples: Sequence[Sample]) -> tuple[Protocol, ProtocolSplit] | None:
    """The run's protocol and its lists of ``samples``, or ``None`` when the run has no protocol."""
    sp = p.config.split
    if sp.protocol is None:
        return None
    protocol: Protocol = create("protocol", sp.protocol, **dict(sp.protocol_options))
    lists = protocol.split(samples, dataset, seed=p.config.seed, ratios=tuple(sp.ratios), stratify=sp.stratify)
    return protocol, lists


def kept(protocol: Protocol, lists: ProtocolSplit, usable: Sequence[Sample]
         ) -> tuple[dict[str, list[Sample]], dict[str, Any]]:
    """The lists without images that have no usable face, checked again, and what the data step's
    result keeps of the protocol (name, fold, counts, notes, the files read)."""
    parts, lost = lists.keep(usable)
    check_parts(parts, protocol.describe(), subjects_comparable=protocol.subjects_comparable,
                after=" after dropping images without a usable face")
    notes = list(lists.notes)
    if not protocol.subjects_comparable:
        notes.append("subject overlap between train and test not checked (the lists come from different datasets)")
    record = {**protocol.record(), "counts": dict(lists.counts), "no_face_dropped": lost, "notes": notes,
              "sources": list(lists.sources)}
    return parts, record
