"""The training curriculum's logic: what notebooks 00-07 and the exercises call.

Kept out of the notebooks so it is tested:

* :mod:`~coprod_sim.curriculum.predict` and :mod:`~coprod_sim.curriculum.moments`:
  predict, then reveal (the trainee's guess, the model's runs, a plain comparison);
* :mod:`~coprod_sim.curriculum.exercises`: scenario challenges with chance-aware
  checkers that explain why a plan falls short;
* :mod:`~coprod_sim.curriculum.record`: the reflection record, exported as
  Markdown or HTML for a portfolio;
* :mod:`~coprod_sim.curriculum.glossary`: plain definitions of the words used;
* :mod:`~coprod_sim.curriculum.charts`: the one door to the shared charts (and the
  "who is missing" table);
* :mod:`~coprod_sim.curriculum.session`: the ``Kit`` object a notebook starts with;
* :mod:`~coprod_sim.curriculum.history`: every person's week in one run (the model is
  stepped here and its state arrays copied; the model itself is not changed);
* :mod:`~coprod_sim.curriculum.people_picture`: the people, week by week, and the
  meeting room (an anywidget drawn in the browser);
* :mod:`~coprod_sim.curriculum.people`: the five people the chapters follow and their
  stories, told from their own history;
* :mod:`~coprod_sim.curriculum.live`: one or two levers of a chapter, live;
* :mod:`~coprod_sim.curriculum.teach`: after a wrong guess, the model's own reasons
  (``coprod_sim.explain``) and one person as an example;
* :mod:`~coprod_sim.curriculum.stepper`: planners that show one step's levers at a time.

Example:
    >>> from coprod_sim.curriculum import start   # doctest: +SKIP
    >>> kit = start("03")                        # doctest: +SKIP
    >>> kit.moment("03_reach")                    # doctest: +SKIP
"""

from coprod_sim.curriculum.exercises import CHALLENGES, Challenge, Feedback, get_challenge
from coprod_sim.curriculum.glossary import GLOSSARY, define_term, glossary_markdown
from coprod_sim.curriculum.moments import EXPECTED, MOMENTS, get_moment
from coprod_sim.curriculum.predict import Compare, Direction, Estimate, Plan, Reveal
from coprod_sim.curriculum.record import ReflectionRecord
from coprod_sim.curriculum.session import Kit, start
from coprod_sim.curriculum.settings import Settings, work_dir

__all__ = [
    "CHALLENGES", "Challenge", "Compare", "Direction", "EXPECTED", "Estimate", "Feedback",
    "GLOSSARY", "Kit", "MOMENTS", "Plan", "ReflectionRecord", "Reveal", "Settings",
    "define_term", "get_challenge", "get_moment", "glossary_markdown", "start", "work_dir",
]
