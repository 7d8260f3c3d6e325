"""The notice to a student and their family as a printable page, in French (default) or
English: pure functions of the notice's content (`serving.services.notice.Notice`) and the
contacts of the settings (`settings.NoticeSection`).

It says, in plain words: that an algorithm suggested and a person decided; which data the
model reads (families, never a sensitive attribute); the main factors for this student that
week and their weight, as the list recorded them, the context apart; the model version and
the dates; and how to ask questions and object (the watch unit, the académie's DPO, and what
GDPR art. 22, CRPA L311-3-1 and AI Act art. 86 give). Every text from data is escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from models.reason_wording import Language, context_text, weight_text
from serving.documents.page import escape, items, page
from serving.services.notice import Notice
from serving.services.views import ContextView, ReasonView
from settings import NoticeSection

__all__ = ["NOTICE_WORDS", "Contacts", "contacts_of", "notice_html", "reason_lines"]

Contacts = Mapping[str, str]  # "watch_unit", "dpo": as the settings give them ("" unset)

_VARIABLES = {"watch_unit": "VIGIE_NOTICE_WATCH_UNIT_CONTACT", "dpo": "VIGIE_NOTICE_DPO_CONTACT"}

NOTICE_WORDS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Information sur l'utilisation d'un algorithme — prévention du décrochage",
        "meta": "Élève {who} · {school} · liste de la semaine du {week} · "
        "document remis le {issued}",
        "decision_title": "Ce qui a été décidé, et par qui",
        "invite": "Un algorithme a suggéré d'inviter l'élève à un entretien avec la cellule "
        "de veille de l'établissement.",
        "watch": "Un algorithme a placé l'élève parmi les élèves à suivre avec attention "
        "(sans invitation cette semaine).",
        "follow_up": "L'élève est accompagné à la suite d'une décision déjà prise par la "
        "cellule de veille ; l'algorithme l'a gardé en suivi.",
        "person": "Une personne a décidé : la cellule de veille de l'établissement examine "
        "chaque suggestion et choisit d'inviter ou non. L'algorithme ne décide rien seul, "
        "et ne sanctionne ni n'oriente personne.",
        "data_title": "Les données utilisées",
        "data_intro": "Les données que l'établissement tient déjà, jusqu'à la date du {as_of} :",
        "attendance": "l'assiduité (absences, retards) ;",
        "grades": "les notes et leur évolution ;",
        "exams_and_path": "les examens et le parcours scolaire (redoublements, changements "
        "d'établissement) ;",
        "context": "le contexte de la scolarité (niveau, voie, type d'établissement), "
        "jamais une raison d'inviter.",
        "never": "Ne sont jamais utilisés : le sexe, la bourse, la catégorie "
        "socioprofessionnelle des parents, ni aucune autre donnée sensible.",
        "factors_title": "Les principaux éléments pour l'élève cette semaine",
        "factors_intro": "Ce qui a le plus pesé dans l'estimation du risque de décrochage, "
        "avec son poids (en points de risque) :",
        "no_factor": "Aucun élément n'a été retenu cette semaine.",
        "no_context": "Le poids du contexte n'a pas été enregistré pour cette semaine.",
        "model_title": "Le modèle",
        "model": "Modèle version {version}, appliqué aux données du {as_of} (liste de la "
        "semaine du {week}).",
        "rights_title": "Poser une question, demander un réexamen, s'opposer",
        "contacts": "Adressez-vous à la cellule de veille de l'établissement ({watch_unit}) "
        "ou au délégué à la protection des données de l'académie ({dpo}). Vous pouvez "
        "demander des explications, présenter votre point de vue, demander qu'une personne "
        "réexamine la décision, ou vous opposer à l'utilisation de ces données.",
        "gdpr": "RGPD, article 22 : personne ne peut faire l'objet d'une décision prise "
        "uniquement par une machine ; ici une personne décide, et vous pouvez contester.",
        "crpa": "Code des relations entre le public et l'administration, article L311-3-1 : "
        "quand une décision administrative s'appuie sur un algorithme, vous pouvez en "
        "demander les règles et les principaux éléments ; ce document les donne.",
        "ai_act": "Règlement européen sur l'IA, article 86 : vous avez droit à une "
        "explication claire du rôle du système dans la décision et de ses principaux "
        "éléments.",
        "cnil": "Vous pouvez aussi adresser une réclamation à la CNIL.",
        "unset": "[à compléter : {variable}]",
    },
    "en": {
        "title": "Information on the use of an algorithm — preventing school dropout",
        "meta": "Student {who} · {school} · list of the week of {week} · issued on {issued}",
        "decision_title": "What was decided, and by whom",
        "invite": "An algorithm suggested inviting the student to an interview with the "
        "establishment's watch unit.",
        "watch": "An algorithm placed the student among the students to watch closely (no "
        "invitation this week).",
        "follow_up": "The student is being supported after a decision the watch unit already "
        "took; the algorithm kept them in follow-up.",
        "person": "A person decided: the establishment's watch unit examines each suggestion "
        "and chooses whether to invite. The algorithm decides nothing alone, and neither "
        "sanctions nor steers anyone.",
        "data_title": "The data used",
        "data_intro": "Data the establishment already keeps, up to {as_of}:",
        "attendance": "attendance (absences, late arrivals);",
        "grades": "marks and how they change;",
        "exams_and_path": "exams and the school path (repeated years, changes of school);",
        "context": "the context of schooling (level, track, kind of establishment), never a "
        "reason to invite.",
        "never": "Never used: sex, scholarship, the parents' occupation group, nor any other "
        "sensitive data.",
        "factors_title": "The main factors for the student this week",
        "factors_intro": "What weighed most in the estimated risk of dropping out, with its "
        "weight (in points of risk):",
        "no_factor": "No factor was kept this week.",
        "no_context": "The context's weight was not recorded for this week.",
        "model_title": "The model",
        "model": "Model version {version}, applied to the data of {as_of} (list of the week "
        "of {week}).",
        "rights_title": "Asking questions, asking for a review, objecting",
        "contacts": "Write to the establishment's watch unit ({watch_unit}) or to the "
        "académie's data protection officer ({dpo}). You may ask for explanations, give "
        "your point of view, ask that a person review the decision, or object to the use of "
        "these data.",
        "gdpr": "GDPR, article 22: no one may be subject to a decision taken by a machine "
        "alone; here a person decides, and you may contest it.",
        "crpa": "French code of relations between the public and the administration, article "
        "L311-3-1: when an administrative decision relies on an algorithm, you may ask for "
        "its rules and main elements; this document gives them.",
        "ai_act": "EU AI Act, article 86: you have the right to a clear explanation of the "
        "system's role in the decision and of its main elements.",
        "cnil": "You may also lodge a complaint with the CNIL (the French data protection "
        "authority).",
        "unset": "[to be completed: {variable}]",
    },
}


def contacts_of(section: NoticeSection) -> dict[str, str]:
    """The contacts a notice prints, from the settings."""
    return {"watch_unit": section.notice_watch_unit_contact, "dpo": section.notice_dpo_contact}


def _day(day: dt.date, language: Language) -> str:
    return day.strftime("%d/%m/%Y") if language == "fr" else day.isoformat()


def reason_lines(
    reasons: tuple[ReasonView, ...], context: ContextView | None, language: Language
) -> tuple[list[str], str | None]:
    """Each reason's sentence with its weight, as recorded (worded again from its points by
    `models.reason_wording` for a week stored without the weight's words), and the
    context's line (None: not recorded)."""
    lines = []
    for reason in reasons:
        sentence = reason.text_en if language == "en" else reason.text_fr
        weight = reason.weight_text_en if language == "en" else reason.weight_text_fr
        if not weight and reason.points is not None and reason.risk_without is not None:
            weight = weight_text(reason.points, reason.risk_without, language)
        lines.append(f"{sentence} — {weight}" if weight else sentence)
    if context is None:
        return lines, None
    recorded = context.text_en if language == "en" else context.text_fr
    return lines, recorded or context_text(context.points, context.risk_without, language)


def notice_html(notice: Notice, language: Language, contacts: Contacts) -> str:
    """The notice as one printable HTML page."""
    if language not in NOTICE_WORDS:
        raise ValueError(f"language must be one of {tuple(NOTICE_WORDS)}, not {language!r}")
    words = NOTICE_WORDS[language]
    name = " ".join(part for part in (notice.first_name, notice.last_name) if part)
    who = f"{name} ({notice.student_id})" if name else notice.student_id
    week, as_of = _day(notice.week, language), _day(notice.as_of, language)
    reached = {
        key: contacts.get(key) or words["unset"].format(variable=variable)
        for key, variable in _VARIABLES.items()
    }
    lines, context = reason_lines(notice.reasons, notice.context, language)
    meta = words["meta"].format(
        who=who, school=notice.establishment_name, week=week,
        issued=_day(notice.issued_on, language),
    )  # fmt: skip

    def section(title: str, *content: str) -> str:
        return f"<section><h2>{escape(words[title])}</h2>{''.join(content)}</section>"

    def paragraph(text: str) -> str:
        return f"<p>{escape(text)}</p>"

    body = "".join([
        f"<h1>{escape(words['title'])}</h1>",
        f'<p class="meta">{escape(meta)}</p>',
        section("decision_title", paragraph(words.get(notice.tier, words["invite"])),
                paragraph(words["person"])),
        section("data_title", paragraph(words["data_intro"].format(as_of=as_of)),
                items(words[family] for family in notice.families if family in words),
                paragraph(words["never"])),
        section("factors_title", paragraph(words["factors_intro"]),
                items(lines) if lines else paragraph(words["no_factor"]),
                paragraph(context or words["no_context"])),
        section("model_title", paragraph(words["model"].format(
            version=notice.model_version, as_of=as_of, week=week))),
        section("rights_title", paragraph(words["contacts"].format(**reached)),
                items(words[key] for key in ("gdpr", "crpa", "ai_act")),
                paragraph(words["cnil"])),
    ])  # fmt: skip
    return page(words["title"], language, body)
