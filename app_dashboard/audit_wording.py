"""The audit log's « Détail » column in the page's language.

The services write each entry's detail as short English text from a few templates (`"week
2026-11-30, 24 students"`, `"interview 12: invited -> held"`...). The log is append-only and
chained, so it is never rewritten: the page words the known templates at display time, with
dates as schools write them, numbers in the page's language and codes (roles, statuses) as
words. A detail no template matches (a refusal's message) is shown as written."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

from app_dashboard.formatting import MISSING, day, integer, is_missing, number
from app_dashboard.wording import Language, vocabulary

__all__ = ["audit_detail"]

_DATE = r"\d{4}-\d{2}-\d{2}"
Words = Callable[[Mapping[str, str], Language], str]


def _day(iso: str, language: Language) -> str:
    return day(dt.date.fromisoformat(iso), language)


def _n(value: str, language: Language) -> str:
    return integer(int(value), language)


def _pair(french: str, english: str) -> Words:
    """A template per language, its fields worded first by `_FIELDS`."""

    def words(found: Mapping[str, str], language: Language) -> str:
        values = {key: _FIELDS.get(key, lambda v, _: v)(value, language)
                  for key, value in found.items() if value is not None}  # fmt: skip
        values.update({key: "" for key, value in found.items() if value is None})
        return (english if language == "en" else french).format(**values)

    return words


# How a matched field is written: dates, counts, codes.
_FIELDS: dict[str, Callable[[str, Language], str]] = {
    "week": _day, "start": _day, "end": _day, "as_of": _day,
    "n": _n, "establishments": _n, "entries": _n, "invited": _n, "watched": _n,
    "followed": _n, "held": _n, "dismissed": _n, "alerts": _n, "versions": _n,
    "by": lambda who, language: who if language == "en" else who.replace(
        "(OS user ", "(utilisateur système "
    ),
    "role": lambda code, language: vocabulary("role", code, language),
    "status": lambda code, language: vocabulary("status", code, language),
    "previous": lambda code, language: vocabulary("status", code, language),
    "margin": lambda value, language: number(float(value) * 100, language, 1, trim=True),
    "where": lambda address, language: (" depuis " if language == "fr" else " from ") + address,
    "at": lambda value, language: (
        day(dt.datetime.fromisoformat(value).date(), language) + value[10:]
    ),
}  # fmt: skip

# (action or None for any, pattern, wording): the first match wins.
_TEMPLATES: tuple[tuple[str | None, re.Pattern[str], Words], ...] = tuple(
    (action, re.compile(pattern), words)
    for action, pattern, words in (
        ("write_week_lists",
         rf"^by (?P<by>.+); week (?P<week>{_DATE}): (?P<establishments>\d+) establishments, "
         r"(?P<entries>\d+) entries \((?P<invited>\d+) to invite, (?P<watched>\d+) to watch, "
         r"(?P<followed>\d+) in follow-up\); follow-up rule: held (?P<held>\d+) weeks, "
         r"dismissed (?P<dismissed>\d+) weeks, risk margin (?P<margin>[0-9.]+)$",
         _pair("par {by} ; semaine du {week} : {establishments} établissements, {entries} "
               "élèves ({invited} à inviter, {watched} à surveiller, {followed} en suivi) ; "
               "suivi : {held} semaines après un entretien, {dismissed} après un écart, "
               "retour au-delà de {margin} points de hausse",
               "by {by}; week of {week}: {establishments} establishments, {entries} students "
               "({invited} to invite, {watched} to watch, {followed} in follow-up); follow-up: "
               "{held} weeks after an interview, {dismissed} after a dismissal, back beyond a "
               "rise of {margin} points")),
        ("read_list", rf"^week (?P<week>{_DATE}), (?P<n>\d+) students$",
         _pair("semaine du {week}, {n} élèves", "week of {week}, {n} students")),
        ("score_students",
         rf"^as of (?P<as_of>{_DATE}): (?P<n>\d+) students scored from posted events$",
         _pair("au {as_of} : {n} élèves évalués à partir des événements envoyés",
               "as of {as_of}: {n} students scored from the posted events")),
        ("read_student_events", rf"^school year from (?P<start>{_DATE}) to (?P<end>{_DATE})$",
         _pair("année scolaire du {start} au {end}", "school year from {start} to {end}")),
        ("read_explanation", r"^waterfall from (?P<file>.+)$",
         _pair("décomposition depuis {file}", "breakdown from {file}")),
        ("issue_notice", rf"^notice of the week of (?P<week>{_DATE})$",
         _pair("notice de la semaine du {week}", "notice of the week of {week}")),
        ("read_drift",
         r"^(?:training of (?P<model>\S+)|(?P<reference>.+?)) vs (?P<file>\S+): "
         r"(?P<alerts>\d+) alerts$",
         _pair("{model}{reference} contre {file} : {alerts} alertes",
               "{model}{reference} against {file}: {alerts} alerts")),
        ("read_models", r"^(?P<name>.+): (?P<versions>\d+) versions$",
         _pair("{name} : {versions} versions", "{name}: {versions} versions")),
        ("read_model_weeks", r"^(?P<name>[^:]+): (?P<list>.+)$",
         _pair("{name} : {list}", "{name}: {list}")),
        ("list_establishments", r"^(?P<n>\d+) establishments$",
         _pair("{n} établissements", "{n} establishments")),
        ("read_classes", r"^(?P<n>\d+) students$", _pair("{n} élèves", "{n} students")),
        ("read_sign_in_failures", r"^since (?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2})$",
         _pair("depuis le {at}", "since {at}")),
        ("add_user", r"^(?P<user>\S+) as (?P<role>\w+)$",
         _pair("{user}, rôle {role}", "{user}, role {role}")),
        ("reset_password", r"^(?P<user>\S+) \(generated\)$",
         _pair("{user} (mot de passe généré)", "{user} (password generated)")),
        ("reset_password", r"^(?P<user>\S+) \(given\)$",
         _pair("{user} (mot de passe choisi)", "{user} (password given)")),
        ("login", r"^password(?P<where> from \S+)?$",
         _pair("mot de passe{where}", "password{where}")),
        ("login", r"^bad username or password for '(?P<user>.*)'(?P<where> from \S+)?$",
         _pair("identifiant ou mot de passe incorrect pour « {user} »{where}",
               "wrong username or password for '{user}'{where}")),
        ("record_interview", r"^interview (?P<id>\d+): (?P<status>\w+)$",
         _pair("entretien {id} : {status}", "interview {id}: {status}")),
        ("update_interview", r"^interview (?P<id>\d+): (?P<previous>\w+) -> (?P<status>\w+)$",
         _pair("entretien {id} : {previous} → {status}", "interview {id}: {previous} → {status}")),
        (None, rf"^dismissal (?P<id>\d+), week (?P<week>{_DATE})$",
         _pair("écart {id}, semaine du {week}", "dismissal {id}, week of {week}")),
        ("purge_audit_log",
         rf"^audit log: (?P<n>\d+) entries before (?P<week>{_DATE}) removed, up to entry "
         r"(?P<id>\d+) \(hash (?P<hash>[0-9a-f]{64})\)$",
         _pair("journal d'audit : {n} entrées antérieures au {week} supprimées, jusqu'à "
               "l'entrée {id} (empreinte {hash})",
               "audit log: {n} entries before {week} removed, up to entry {id} (hash {hash})")),
        ("session_ended", r"^user disabled or removed$",
         _pair("compte désactivé ou supprimé", "account disabled or removed")),
        ("session_ended", r"^role or scopes changed$",
         _pair("rôle ou établissements modifiés", "role or establishments changed")),
    )
)  # fmt: skip


def audit_detail(action: object, detail: object, language: Language) -> str:
    """An entry's detail as people read it in `language`; a dash when there is none."""
    if is_missing(detail) or detail == "":
        return MISSING
    written = str(detail)
    for wanted, pattern, words in _TEMPLATES:
        if wanted is not None and wanted != action:
            continue
        found = pattern.match(written)
        if found:
            # "where" keeps its leading " from ": the address alone is worded.
            groups = found.groupdict()
            if groups.get("where"):
                groups["where"] = groups["where"].removeprefix(" from ")
            return words(groups, language)
    return written
