"""Activities for the ideas of the paper the model does not hold: a sort, or a case.

The model turns some of the briefing paper's ideas into levers; others (the six
characteristics, the three levels as people experience them, joining up health
and social care, policies as barriers, people choosing their own level) have no
lever. They are not left as a paragraph to read: each is an activity that asks
the trainee first and explains after, like a moment, but is judged against the
paper rather than the model.

* :class:`Sort`: put each card in one of a few boxes (for example each example
  into one of the six characteristics), then see which were where the paper
  puts them, and why.
* :class:`Case`: a short case and a choice of what to do; every option gets its
  own answer from the paper.

The notebooks show one with ``kit.activity("key")``; the record keeps the
trainee's first answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sort:
    """Sort cards into boxes.

    Attributes:
        key: Unique key.
        section: The notebook it belongs to.
        prompt: What to do, in plain words.
        boxes: The boxes' names.
        cards: ``(card text, the box the paper puts it in, why)``.
        source: The paper's source for the answer.
    """

    key: str
    section: str
    prompt: str
    boxes: tuple[str, ...]
    cards: tuple[tuple[str, str, str], ...]
    source: str

    def judge(self, answers: dict[str, str]) -> tuple[int, list[str]]:
        """Return how many cards are where the paper puts them, and a line per card."""
        right, lines = 0, []
        for text, box, why in self.cards:
            mine = answers.get(text, "")
            ok = mine == box
            right += ok
            head = "Yes" if ok else ("Not sorted" if not mine else f"You said {mine}")
            lines.append(f"{head}: “{text}” is {box}. {why}")
        return right, lines


@dataclass(frozen=True)
class Case:
    """A short case and a choice of what to do.

    Attributes:
        key: Unique key.
        section: The notebook it belongs to.
        story: The case, in plain words.
        question: The question.
        options: ``(option, the paper's answer to choosing it)``.
        best: The option the paper supports.
        source: The paper's source for the answer.
    """

    key: str
    section: str
    story: str
    question: str
    options: tuple[tuple[str, str], ...]
    best: str
    source: str

    def judge(self, choice: str) -> tuple[bool, list[str]]:
        """Return whether the choice is the one the paper supports, and what it says."""
        answers = dict(self.options)
        if choice not in answers:
            raise ValueError(f"choice is {choice!r}; allowed: one of "
                             + ", ".join(repr(o) for o, _ in self.options))
        ok = choice == self.best
        lines = [answers[choice]]
        if not ok:
            lines.append(f"The paper points to: “{self.best}”. {answers[self.best]}")
        return ok, lines + [f"Source: {self.source}."]


ACTIVITIES: dict[str, Sort | Case] = {a.key: a for a in (
    Case("01_what_is_it", "01",
         "Three services say they are doing coproduction. Service A posts a survey and "
         "publishes the results. Service B invites patients to a meeting to hear its new "
         "plan. Service C sets up a group where patients, carers and staff decide the "
         "plan together, and each brings something: staff their training, patients "
         "their experience of the service.",
         "Which one fits the paper's definition: an equal and reciprocal relationship?",
         (("Service A", "A survey asks for views, but the service keeps every decision: "
           "that is consultation, not an equal relationship."),
          ("Service B", "Telling people a plan is top-down: the paper describes "
           "coproduction as moving away from it."),
          ("Service C", "Both sides give and both gain, and decide as equals: this is "
           "the relationship Boyle & Harris (2009) describe."),
          ("All three", "Only one of them shares decisions: asking and telling are not "
           "the same as working as equals.")),
         "Service C", "Boyle & Harris 2009; Cummins & Miller 2007"),
    Sort("01_benefit_or_difficulty", "01",
         "Sort each statement: is it a benefit of coproduction the paper names, or a "
         "difficulty?",
         ("a benefit", "a difficulty"),
         (("People feel valued when their views are used, not just heard.", "a benefit",
           "WAG (2004): incorporating views makes people feel valued and empowered."),
          ("Health and social care mostly run side by side in the UK.", "a difficulty",
           "Coproduction needs an integrated approach; working across the two raises "
           "questions of money and of who decides (Boyle, Slay & Stephens 2010)."),
          ("Service users bring knowledge, skills and time services have not used.",
           "a benefit", "The paper calls them a wealth of underused resources."),
          ("Existing policies and procedures can stand in the way.", "a difficulty",
           "With anxieties about risk, they can make an organisation resist change."),
          ("Communities grow better able to solve their own problems.", "a benefit",
           "Shifting power builds resilient communities (SCDC 2011)."),
          ("The gains may take years to show.", "a difficulty",
           "Benefits are not necessarily immediate: the long game (notebook 06).")),
         "the briefing paper's benefits and difficulties"),
    Sort("01_six_features", "01",
         "Each example shows one of the six characteristics of coproduction (Boyle, "
         "Coote, Sherwood & Slay 2010). Sort each into the one it shows.",
         ("people as assets", "building on what people can do", "mutuality",
          "peer support", "blurring distinctions", "facilitating"),
         (("A group asks a retired accountant who uses the service to keep its budget.",
           "people as assets", "The person is seen for what they bring, not as a problem."),
          ("A patient who already runs a walking group is asked to lead one for the ward.",
           "building on what people can do", "It starts from a skill the person has."),
          ("Patients agree to test the new leaflet; staff agree to report back on every "
           "change.", "mutuality", "Both sides have duties and expectations of each other."),
          ("People who have had a stroke meet to share what helped them at home.",
           "peer support", "People with the same experience support each other."),
          ("Staff and service users train together and share the same name badges.",
           "blurring distinctions", "Working side by side builds equality and respect."),
          ("The service helps a carers' group find a room and funds, and the group runs "
           "itself.", "facilitating", "The service helps people do it, rather than doing "
           "it for them.")),
         "Boyle, Coote, Sherwood & Slay 2010"),
    Sort("01_three_levels", "01",
         "Where does each project sit on the line from description to transformation "
         "(Needham & Carr 2009)?",
         ("description", "recognition", "transformation"),
         (("Patients fill in a form so the clinic can run; nobody asks their views.",
           "description", "Taking part is compliance, a transaction."),
          ("The clinic asks for views and thanks people, but the plan stays as it was.",
           "recognition", "Views are recognised, not fully used: consultation."),
          ("Patients and staff each have a vote on the plan and chair meetings in turn.",
           "transformation", "An equal partnership: the same input, respect and power."),
          ("A survey's results are published, and two of its ideas are tried.",
           "recognition", "Some use is made of views, but staff keep the decisions.")),
         "Needham & Carr 2009"),
    Case("02_own_level", "02",
         "Megan cares for her husband. She would like to help shape the new service, but "
         "she can only get away for an hour a month, and never in the evening.",
         "What do you do?",
         (("Invite her to the forum anyway: everyone should come to every meeting.",
           "She cannot give that, so she is likely to drop out, and feel she failed."),
          ("Leave her out: she cannot commit enough.",
           "Leaving out the people with the least time leaves out many carers: the "
           "mix will not represent the people affected."),
          ("Tell her clearly what the work is for and what each way of helping asks of "
           "her, and let her choose.",
           "Being clear about purpose and what is asked lets people choose the level "
           "they can give: person-centred involvement (GSCC et al. 2007).")),
         "Tell her clearly what the work is for and what each way of helping asks of "
         "her, and let her choose.", "GSCC, CSCI, Skills for Care & SCIE 2007"),
    Case("03_small_group", "03",
         "A focus group of six regular members agrees strongly that the service should "
         "move to evening sessions. Most of the 200 people affected have not been asked.",
         "What should the team do with this view?",
         (("Adopt it: the group was clear and united.",
           "A small group can settle on views most people do not share: the paper's "
           "criticism of forums and focus groups (Gibbs 1997)."),
          ("Check it with a wider and different group, for example by a short "
           "questionnaire, before deciding.",
           "Using methods in tandem balances a small group's depth with a wider reach."),
          ("Ignore it: focus groups are not representative.",
           "The group's view still counts; if it is not used, say why, or people "
           "disengage.")),
         "Check it with a wider and different group, for example by a short "
         "questionnaire, before deciding.", "Gibbs 1997"),
    Sort("05_4rs", "05",
         "Sort each question a new member of a working party might ask into one of the "
         "4Rs of working together (NLIAH 2010).",
         ("role", "remit", "relationships", "responsibility"),
         (("What part do I play in this group?", "role", "Your role: what you are there "
           "as."),
          ("Can this group change the opening hours, or only the leaflet?", "remit",
           "The remit: what the group is there to decide, and what is outside it."),
          ("Who do I talk to between meetings?", "relationships",
           "Relationships: who you work with, and how."),
          ("What have I agreed to do before the next meeting?", "responsibility",
           "Responsibility: what you must do and answer for.")),
         "NLIAH 2010"),
    Case("06_joined_up", "06",
         "Priya, a nurse, and a social worker both support Glenys at home. The working "
         "party wants a single plan for people like Glenys, but health and social care "
         "have separate budgets and separate managers.",
         "What is the first thing to sort out?",
         (("Who pays for what, and who decides: agree it across both services first.",
           "The paper: working across health and social care raises questions of money "
           "and of who decides (finance and governance). Agreeing them early is what "
           "CAFA's step 'agree how the project will be governed' is for."),
          ("Start with health alone, and bring social care in later.",
           "Coproduction looks at the whole person: Glenys's life does not split "
           "along the line between the services."),
          ("Let the service users sort it out between the services.",
           "Sharing power is not handing over the services' own problems.")),
         "Who pays for what, and who decides: agree it across both services first.",
         "Boyle, Slay & Stephens 2010; CAFA 2012"),
    Case("06_policy", "06",
         "Gareth, a manager, wants service users to see the draft plan before the "
         "meeting. The trust's policy says drafts are for staff only.",
         "What does the paper suggest is going on?",
         (("The policy protects service users, so nothing should change.",
           "Policies often exist for good reasons, but the paper names existing "
           "policies and procedures as a barrier to coproduction."),
          ("Anxiety about risk and an old procedure are acting as a barrier; raise it, "
           "and look for a safe way to share.",
           "The paper: power shifts create anxieties about risk, and policies can act "
           "as barriers, making organisations resist change. Naming it is the start."),
          ("Gareth should share the draft anyway.",
           "Ignoring a policy can cost trust with colleagues; changing it lasts "
           "longer.")),
         "Anxiety about risk and an old procedure are acting as a barrier; raise it, and "
         "look for a safe way to share.", "Boyle, Slay & Stephens 2010"),
)}


def get_activity(key: str) -> Sort | Case:
    """Return an activity by key.

    Raises:
        KeyError: naming the key and the known keys.
    """
    try:
        return ACTIVITIES[key]
    except KeyError:
        raise KeyError(f"unknown activity {key!r}; known: {', '.join(ACTIVITIES)}") from None
