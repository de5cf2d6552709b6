"""See the people: the week-by-week history, the picture's data, and the people we follow."""

import json

import numpy as np
import pytest

from coprod_sim.curriculum import people
from coprod_sim.curriculum.history import (
    DROPPED,
    NOT_INVITED,
    PICTURE_SEED,
    STATUSES,
    TAKING_PART,
    record_run,
)
from coprod_sim.curriculum.people_picture import PeoplePicture, alt_text, picture_data
from coprod_sim.presets import get
from coprod_sim.runner import run


@pytest.fixture(scope="module")
def full():
    return record_run("full_coproduction", seed=PICTURE_SEED)


def test_recording_a_run_gives_the_same_run_as_the_runner(full):
    plain = run("full_coproduction", seed=PICTURE_SEED)
    assert full.weekly.equals(plain.weekly)
    assert full.status.shape == (52, 200)


def test_status_follows_the_models_own_state(full):
    last = full.status[-1]
    people_at_end = full.people
    assert ((last == NOT_INVITED) == ~people_at_end["reached"].to_numpy()).all()
    dropped = (last == DROPPED)
    assert (dropped <= people_at_end["reached"].to_numpy()).all()
    # "taking part" is the model's participation rate, minus those since dropped
    share = (full.status == TAKING_PART).mean(axis=1)
    assert (share <= full.weekly["participation_rate"].to_numpy() + 1e-9).all()
    assert set(np.unique(full.status)) <= set(range(len(STATUSES)))


def test_meeting_time_is_shared_between_users_and_staff(full):
    for w in full.meeting_weeks()[:5]:
        total = full.spoke[w].sum() + full.staff_spoke[w].sum()
        assert total == pytest.approx(1.0, abs=1e-4)
        assert (full.spoke[w][~full.at_table[w]] == 0).all()


def test_picture_data_is_compact_and_says_what_it_shows(full):
    chosen = people.choose(full)
    data = picture_data(full, chosen, "participation_rate", full)
    assert len(json.dumps(data)) < 200_000
    assert len(data["status"]) == 52 and all(len(s) == 200 for s in data["status"])
    assert data["followed"] and data["chart"]["lines"][0]["values"]
    text = alt_text(full, "participation_rate")
    assert "200 people" in text and "taking part" in text and "meeting room" in text
    pic = PeoplePicture()
    pic.show(full, chosen, "participation_rate")
    assert pic.alt == text and pic.week == 52 and pic.data["n"] == 200


def test_the_people_we_follow_are_who_they_say_they_are(full):
    chosen = {f.key: f for f in people.choose(full)}
    assert set(chosen) == {"megan", "rhys", "glenys", "priya", "gareth"}
    p = full.people
    megan, rhys = chosen["megan"], chosen["rhys"]
    assert p.loc[megan.index, "role"] == "carer"
    assert p.loc[rhys.index, "age"] == "16-34"
    assert p.loc[rhys.index, "deprivation"] == "most deprived fifth"
    assert not full.manager[chosen["priya"].index] and full.manager[chosen["gareth"].index]


def test_the_same_people_are_followed_in_every_plan_of_a_population():
    a = record_run("default", seed=PICTURE_SEED)
    b = record_run(get("default").replace(feedback_rationale=True, power_sharing=0.8),
                   seed=PICTURE_SEED)
    assert [f.index for f in people.choose(a)] == [f.index for f in people.choose(b)]


def test_stories_are_told_from_the_persons_own_history(full):
    chosen = people.choose(full)
    told = people.stories(full, chosen)
    megan = next(f for f in chosen if f.key == "megan")
    text = " ".join(told["megan"])
    times = int(full.attended[:, megan.index].sum())
    assert text.startswith("Megan, a carer")
    if times:
        assert f"took part {times} time" in text
    t1 = full.trust[-1, megan.index]
    assert f"{t1:.0%}" in text
    staff = " ".join(told["gareth"])
    assert "Gareth is a service manager" in staff and "anxiety about risk" in staff
    never = record_run(get("default").replace(invitation_reach=0.05), seed=PICTURE_SEED)
    f = next(x for x in people.choose(never) if not x.staff
             and (never.status[:, x.index] == NOT_INVITED).all())
    assert "never invited" in " ".join(people.story(never, f))


def test_a_contrast_names_one_person_in_both_plans():
    a = record_run(get("default").replace(power_sharing=0.3), seed=PICTURE_SEED)
    b = record_run(get("default").replace(power_sharing=0.3, feedback_rationale=True),
                   seed=PICTURE_SEED)
    text = people.contrast(a, b, "Plan A", "Plan B")
    assert text.startswith("Take ") and "In Plan A:" in text and "In Plan B:" in text
