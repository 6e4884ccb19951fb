"""``PoseConfig.person``: the k-th person of a group clip (``posecheck batch --athlete all``),
in order of appearance, larger first; the analysis note says how many there were."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.config import PoseConfig
from posecheck.pose.choice import candidate_tracks, people_count, people_in_order, person_note
from posecheck.pose.landmarker import sequence_from_tracks
from posecheck.pose.tracking import Detection, Track


def _track(tid: int, x: float, y: float, h: float, first: int, n: int) -> Track:
    tr = Track(tid=tid, center=np.zeros(2), size=h, last_row=0, last_time=0.0)
    for k in range(n):
        xy = np.column_stack([np.full(33, x + k), np.linspace(y - h / 2, y + h / 2, 33)])
        det = Detection(xy=xy, z=np.zeros(33), visibility=np.ones(33), presence=np.ones(33),
                        world=np.zeros((33, 3)))
        tr.add(first + k, (first + k) / 30, det, 1.0)
    return tr


def test_people_in_order_of_appearance_larger_first():
    small_first = _track(0, 100, 300, 80, first=0, n=30)
    big_first = _track(1, 600, 300, 200, first=0, n=30)
    late = _track(2, 900, 300, 300, first=10, n=20)
    blip = _track(3, 50, 50, 400, first=0, n=2)  # a false alarm: never a person
    people = people_in_order(candidate_tracks([small_first, late, blip, big_first]))
    assert [t.tid for t in people] == [1, 0, 2]


@pytest.mark.parametrize("k, x0", [(1, 600), (2, 100), (3, None)])
def test_sequence_of_the_kth_person_and_its_note(k, x0):
    tracks = [_track(0, 100, 300, 80, first=0, n=30), _track(1, 600, 300, 200, first=0, n=30)]
    notes: list[str] = []
    seq = sequence_from_tracks(tracks, np.arange(30) / 30, (1280, 720),
                               PoseConfig(person=k), notes)
    assert notes == [person_note(k, 2)] and people_count(notes + ["other"]) == 2
    if x0 is None:  # no third person: nobody (the pipeline then says no person was found)
        assert not seq.detected.any()
    else:
        assert seq.detected.all() and seq.xy[0, 0, 0] == x0


def test_person_zero_keeps_the_rule_and_its_note():
    tracks = [_track(0, 100, 300, 80, first=0, n=30), _track(1, 600, 300, 200, first=0, n=30)]
    notes: list[str] = []
    seq = sequence_from_tracks(tracks, np.arange(30) / 30, (1280, 720),
                               PoseConfig(athlete="leftmost"), notes)
    assert seq.xy[0, 0, 0] == 100 and people_count(notes) is None
    assert "2 people were found" in notes[0]
    with pytest.raises(ValueError):
        PoseConfig(person=-1)
