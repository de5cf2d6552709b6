"""Plain definitions of the words the notebooks use.

Each notebook shows the terms it needs with :func:`glossary_table`. Definitions
are written for health and social care staff, not for programmers or
researchers, and avoid defining a word with a harder one.
"""

from __future__ import annotations

import html

#: Term -> one or two plain sentences. Keys are lower case.
GLOSSARY: dict[str, str] = {
    # The kit
    "model": "A simplified copy of a real situation, built in a computer, that we can "
             "try things out on. It is a teaching aid, not a forecast.",
    "simulation": "Running the model forward, week by week, to see what might happen.",
    "run": "One play-through of the model from week 1 to the last week.",
    "chance": "The model, like real life, has luck in it: who happens to see a letter, "
              "who feels well that week. Two runs of the same plan can differ a little.",
    "range": "The spread of results across several runs of the same plan. We show the "
             "middle result and the range, because one run alone can mislead.",
    "middle result": "Line up the results of several runs from lowest to highest and "
                     "take the one in the middle (also called the median).",
    "lever": "A choice you can change in the model, such as paying expenses or "
             "using a questionnaire.",
    "reflection record": "A file the kit writes for you, listing your predictions, "
                         "choices, results and answers, to keep in your portfolio.",
    # What coproduction is
    "coproduction": "Staff, people who use services, their families and neighbours "
                    "working as equal partners to plan, run and improve a service.",
    "service user": "Someone who uses a health or social care service.",
    "carer": "Someone who looks after a family member or friend, usually unpaid.",
    "expert by experience": "A person whose knowledge comes from living with a condition "
                            "or using a service, rather than from professional training.",
    "transactional": "A way of working where the service gives and the person receives, "
                     "like buying something in a shop.",
    "relational": "A way of working built on ongoing relationships in which both sides "
                  "give and both sides gain.",
    "top-down": "Decisions made by senior people and passed down to everyone else.",
    "person-centred": "Shaped around what the person wants and needs, not around the "
                      "service's routine.",
    "assets": "The skills, knowledge, time and relationships people already have.",
    "mutuality": "Both sides give something and both sides get something back "
                 "(also called reciprocity).",
    "peer support": "People with similar experiences helping each other.",
    "blurring distinctions": "Making the line between 'staff' and 'service user' less "
                             "sharp, so people work side by side.",
    "facilitating": "Helping people do something themselves, rather than doing it for them.",
    "description": "The lowest of three levels of coproduction (Needham & Carr 2009): "
                   "people simply comply with, or receive, what the service offers.",
    "recognition": "The middle level: the service asks for people's views and values them, "
                   "but does not make full use of them.",
    "transformation": "The highest level: an equal partnership with the same say, respect "
                      "and power on both sides.",
    "step model": "A list of steps, in order, that guides a team through coproduction.",
    "co-commissioning": "Service users help decide what service is needed and paid for.",
    "co-design": "Service users help design the service or the change.",
    "co-delivery": "Service users help run or deliver the service.",
    "co-assessment": "Service users help judge how well the service or change worked.",
    "preventative": "Stopping problems before they start or get worse, rather than "
                    "reacting once they have happened.",
    "resilient community": "A community that can cope with problems and solve many of "
                           "them itself.",
    "integrated care": "Health and social care services working as one, sharing plans, "
                       "money and decisions.",
    "governance": "The rules for who decides what, who is answerable, and how money "
                  "is controlled.",
    # Who is affected
    "directly affected": "People the change touches themselves, such as patients.",
    "indirectly affected": "People the change touches through someone else, such as "
                           "carers, families and the local community.",
    "working party": "A small group set up to do a piece of work, such as redesigning "
                     "a service.",
    "representative": "A group is representative when the mix of people in it matches "
                      "the mix of everyone affected (for example by age and income).",
    "deprived area": "A neighbourhood where many people have low incomes and fewer "
                     "resources.",
    "invitation reach": "The share of each invited group who actually hear about the "
                        "chance to take part.",
    # Methods
    "forum": "A group that already meets regularly, such as a patient panel.",
    "focus group": "A small group, about 6 to 10 people, brought together once or a few "
                   "times to discuss one topic.",
    "semi-structured interview": "A one-to-one conversation that follows a list of "
                                 "questions but leaves room to talk about other things.",
    "questionnaire": "A set of written questions sent to many people, such as a survey.",
    "tokenism": "Asking for people's views for show, when those views cannot change "
                "anything.",
    "consultation": "Asking people what they think about plans that staff have already "
                    "drawn up.",
    "in tandem": "Used together, at the same time.",
    "front-line staff": "Staff who work directly with patients and service users, rather "
                        "than managers.",
    "agenda": "The list of topics to be discussed, and so who decides what gets talked "
              "about.",
    "idiosyncratic": "Unusual, or particular to a few people rather than shared by most.",
    # Support
    "barrier": "Anything that makes it harder for someone to take part, such as a room "
               "they cannot reach or papers they cannot read.",
    "large print": "Papers printed with bigger letters for people with sight loss.",
    "plain language": "Short, everyday words and sentences, with no jargon.",
    "jargon": "Words used by a profession that people outside it may not know.",
    "hearing loop": "A sound system that sends speech straight to hearing aids.",
    "accessible venue": "A meeting place people can reach and use, including people who "
                        "use wheelchairs or tire easily.",
    "out-of-pocket expenses": "Money people spend to take part, such as bus fares, "
                              "parking or paying for care cover.",
    "buddying": "Pairing a service user with a member of staff who helps them follow "
                "and join in with meetings.",
    "ground rules": "Rules for how a group behaves, agreed by the group itself, such as "
                    "'one person speaks at a time'.",
    "written vision": "A short written statement of what the project is for and what "
                      "everyone's part in it is.",
    # Power, feedback, trust
    "power sharing": "How much say service users have over what is actually decided.",
    "feedback": "Telling people what happened to their views.",
    "rationale": "The reason for a decision, explained.",
    "action plan": "The list of changes a project has agreed to make.",
    "trust": "How far people believe the service will treat them fairly and keep its word.",
    "my views change things": "How far people believe their views make a difference "
                              "(researchers call this efficacy).",
    "the 4rs": "Role, remit, relationships and responsibility: four things everyone in "
               "a partnership should be clear about (NLIAH 2010).",
    "role": "The part a person plays in the project.",
    "remit": "What a person or group is allowed and expected to decide or do.",
    "responsibility": "What a person must do, and answer for.",
    "retention": "Keeping people involved: the share of people who took part who are "
                 "still involved.",
    # The long game
    "the long game": "Investing now for benefits that arrive later, sometimes years later.",
    "cost-efficiency": "Getting the most service for the money spent, usually judged "
                       "over a short time.",
    "payback": "The point at which the benefits so far have caught up with the costs so far.",
    "benefit": "Value to the service and the people it serves, such as fewer crises or a "
               "better fit to needs, counted in pounds in this model.",
    "staff training": "Teaching staff what coproduction is, why it matters and how to do it.",
    "anxiety about risk": "Staff worry about what might go wrong when others share "
                          "decisions they are answerable for.",
    "resistance to change": "Policies, procedures and habits that hold back a new way "
                            "of working.",
    "culture": "The shared habits, beliefs and 'the way we do things here' in an "
               "organisation.",
}


def define_term(term: str) -> str:
    """Return the plain definition of a glossary term.

    Raises:
        KeyError: naming the term and suggesting close matches.
    """
    key = term.strip().lower()
    if key in GLOSSARY:
        return GLOSSARY[key]
    near = [t for t in GLOSSARY if key[:4] and key[:4] in t]
    hint = f" Did you mean: {', '.join(near)}?" if near else ""
    raise KeyError(f"'{term}' is not in the glossary.{hint}")


def glossary_markdown(*terms: str) -> str:
    """Return a Markdown table of the given terms (all terms when none given)."""
    chosen = terms or tuple(GLOSSARY)
    rows = ["| Word | What it means here |", "|---|---|"]
    rows += [f"| **{t}** | {define_term(t)} |" for t in chosen]
    return "\n".join(rows)


class GlossaryTable:
    """A glossary table that displays as HTML in a notebook and as text elsewhere."""

    def __init__(self, terms: tuple[str, ...], css: str = ""):
        self.terms = terms or tuple(GLOSSARY)
        self.css = css
        for t in self.terms:
            define_term(t)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left;padding:0.3em 1em 0.3em 0'>"
                       f"{html.escape(t)}</th><td style='text-align:left'>"
                       f"{html.escape(define_term(t))}</td></tr>" for t in self.terms)
        return (f"<div style='{self.css}'><strong>Words used in this notebook</strong>"
                f"<table>{rows}</table></div>")

    def _repr_markdown_(self) -> str:
        return glossary_markdown(*self.terms)

    def __repr__(self) -> str:
        return "\n".join(f"{t}: {define_term(t)}" for t in self.terms)


def glossary_table(*terms: str, css: str = "") -> GlossaryTable:
    """Return a displayable table of the given terms (all terms when none given)."""
    return GlossaryTable(tuple(terms), css)
