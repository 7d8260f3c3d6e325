"""The access policy: every action a service performs, the roles allowed to perform it and
the scope rule it follows, in one table (`POLICY`), and the pure checks derived from it.

Roles (DESIGN.md, "Roles"): `watch_unit` (its own establishments, with names), `mlds` (the
establishments of its bassin, with names: their lists, and the students who left them without
a solution), `inspector` and `data_scientist` (the whole académie, pseudonymised), `admin`
(users, no student data).
Scope rules (`Scope`):

- `academie`: no establishment involved; the role decides alone.
- `establishment`: a scoped role (watch unit, mlds) acts only on its own establishments; the
  other roles allowed act on every establishment. For a list, the list's establishment.
- `student`: the establishment the student is enrolled in on the day of the request
  (`serving.db.enrollments`), never the last week written: a student who moved belongs to the
  new school, whose past lists, rewritten or not, keep the old school's pseudonyms. To a role
  that does not see the whole académie an unknown student gets the refusal of an out-of-scope
  one (`serving.services.guard.student_in_scope` applies it).

The checks here are pure functions of the actor; `serving.services.guard` is the one place
where services apply them (audited refusal, then the data)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, TypeVar

from serving.db.vocabulary import Role

if TYPE_CHECKING:
    from serving.services.actor import Actor

__all__ = [
    "NOT_IN_SCOPE",
    "POLICY",
    "RECORDERS_ONLY",
    "SCOPED_ROLES",
    "Action",
    "Refused",
    "Rule",
    "Scope",
    "action_of",
    "allows",
    "audit_name",
    "establishments_in_scope",
    "performs",
    "require",
    "sees_names",
    "sees_notes",
    "sees_whole_academie",
]

Scope = Literal["academie", "establishment", "student"]

WATCH_UNIT: Role = "watch_unit"
MLDS: Role = "mlds"
# The roles that act only on the establishments of their scope (`Actor.establishments`).
SCOPED_ROLES: frozenset[Role] = frozenset({WATCH_UNIT, MLDS})
ACADEMIE_WIDE: frozenset[Role] = frozenset({"inspector", "data_scientist"})
STUDENT_READERS: frozenset[Role] = frozenset({*SCOPED_ROLES, *ACADEMIE_WIDE})


class Action(StrEnum):
    """What a service does on behalf of an actor (the value names the action in the audit
    log, unless its rule names another)."""

    LIST_ESTABLISHMENTS = "list_establishments"
    READ_LIST = "read_list"
    READ_CLASSES = "read_classes"
    READ_STUDENT = "read_student"
    READ_STUDENT_EVENTS = "read_student_events"
    READ_EXPLANATION = "read_explanation"
    RECORD_INTERVIEW = "record_interview"
    UPDATE_INTERVIEW = "update_interview"
    DISMISS = "dismiss"
    SCORE_STUDENTS = "score_students"
    READ_AUDIT_LOG = "read_audit_log"
    LIST_KNOWN_ESTABLISHMENTS = "list_known_establishments"
    ADD_USER = "add_user"
    LIST_USERS = "list_users"
    DISABLE_USER = "disable_user"
    ENABLE_USER = "enable_user"
    RESET_PASSWORD = "reset_password"
    RENEW_TOKEN = "renew_token"
    READ_SIGN_IN_FAILURES = "read_sign_in_failures"
    READ_MODELS = "read_models"
    READ_FAIRNESS = "read_fairness"
    READ_COMPARISON = "read_comparison"
    READ_MODEL_WEEKS = "read_model_weeks"
    READ_DRIFT = "read_drift"
    READ_MONITORING = "read_monitoring"
    ISSUE_NOTICE = "issue_notice"
    SUSPEND = "suspend"
    RESUME = "resume"
    READ_SUSPENSIONS = "read_suspensions"
    PURGE = "purge"
    READ_INTERVIEW_OUTCOMES = "read_interview_outcomes"
    READ_SOLUTIONS = "read_solutions"
    READ_SUGGESTION_FOLLOWED = "read_suggestion_followed"
    READ_LEAVERS = "read_leavers"
    RECORD_CONTACT = "record_contact"
    UPDATE_CONTACT = "update_contact"


@dataclass(frozen=True)
class Rule:
    """Who may perform an action: `roles`, within `scope`. `refusal` is the message of a
    refusal (to the caller and in the audit log; never a name), `out_of_scope` that of an
    allowed role out of its scope when it differs; `audit` the action's name in the audit
    log when it is not the action's own."""

    roles: frozenset[Role]
    scope: Scope
    refusal: str
    out_of_scope: str | None = None
    audit: str | None = None


NOT_IN_SCOPE = "this student is not in your scope"
RECORDERS_ONLY = "only the student's own watch unit may record or dismiss"
_ADMINS: frozenset[Role] = frozenset({"admin"})
_AUDITORS: frozenset[Role] = frozenset({"inspector", "admin"})
_ADMINS_ONLY = "only admins manage users"
_STUDENT = Rule(STUDENT_READERS, "student", NOT_IN_SCOPE)
_RECORD = Rule(frozenset({WATCH_UNIT}), "student", RECORDERS_ONLY)
_MANAGE_USERS = Rule(_ADMINS, "academie", _ADMINS_ONLY)
_STOP_SWITCH = Rule(_ADMINS, "academie", "only admins suspend or resume the lists")
_CONTACT = Rule(
    frozenset({MLDS}),
    "student",
    "only the MLDS of the establishment the student left records contacts",
)

POLICY: Mapping[Action, Rule] = {
    # The establishments (and their weeks) a dashboard user may pick from.
    Action.LIST_ESTABLISHMENTS: Rule(
        STUDENT_READERS, "establishment", "this role sees no student lists"
    ),
    Action.READ_LIST: Rule(
        STUDENT_READERS, "establishment", "this establishment's lists are not in your scope"
    ),
    Action.READ_CLASSES: Rule(
        STUDENT_READERS, "establishment", "this establishment is not in your scope"
    ),
    Action.READ_STUDENT: _STUDENT,
    Action.READ_STUDENT_EVENTS: _STUDENT,
    Action.READ_EXPLANATION: _STUDENT,
    # Interviews and dismissals: the watch unit of the student's establishment of the day (an
    # interview is changed only by the establishment that wrote it, while the student is
    # still enrolled there).
    Action.RECORD_INTERVIEW: _RECORD,
    Action.UPDATE_INTERVIEW: _RECORD,
    Action.DISMISS: _RECORD,
    # Posted events: every establishment of the posted students must be in scope.
    Action.SCORE_STUDENTS: Rule(
        frozenset({WATCH_UNIT, *ACADEMIE_WIDE}),
        "establishment",
        "scoring students is not allowed for this role",
        out_of_scope="these students' establishments are not in your scope",
    ),
    Action.READ_AUDIT_LOG: Rule(
        _AUDITORS,
        "academie",
        "reading the audit log is not allowed for this role",
    ),
    Action.LIST_KNOWN_ESTABLISHMENTS: Rule(
        _ADMINS, "academie", _ADMINS_ONLY, audit="list_establishments"
    ),
    Action.ADD_USER: _MANAGE_USERS,
    Action.LIST_USERS: _MANAGE_USERS,
    Action.DISABLE_USER: _MANAGE_USERS,
    Action.ENABLE_USER: _MANAGE_USERS,
    Action.RESET_PASSWORD: _MANAGE_USERS,
    Action.RENEW_TOKEN: _MANAGE_USERS,
    Action.READ_SIGN_IN_FAILURES: _MANAGE_USERS,
    # Model card and fairness audit: inspectors, and the data scientists who build models.
    Action.READ_MODELS: Rule(ACADEMIE_WIDE, "academie", "model versions are not for this role"),
    Action.READ_FAIRNESS: Rule(ACADEMIE_WIDE, "academie", "fairness audits are not for this role"),
    Action.READ_COMPARISON: Rule(ACADEMIE_WIDE, "academie", "comparisons are not for this role"),
    # Precision over the weeks and drift: the data scientists.
    Action.READ_MODEL_WEEKS: Rule(
        frozenset({"data_scientist"}), "academie", "model metrics are not for this role"
    ),
    Action.READ_DRIFT: Rule(
        frozenset({"data_scientist"}), "academie", "drift is not for this role"
    ),
    # The weekly monitoring (`GET /v1/monitoring`, the drift page's "Suivi", the admin's
    # page): aggregates and alerts, never a student. The data scientists who watch the model,
    # the admins who suspend the lists when it warns, the inspectors who oversee the service.
    # Not the watch units: its figures compare establishments (churn, slots spent, outcomes
    # per UAI) and the académie's drift; a share cut to one establishment would still tell
    # it how the others fare (by difference with the overall figures), so a watch unit gets
    # nothing here and reads its own list instead.
    Action.READ_MONITORING: Rule(
        frozenset({"data_scientist", "admin", "inspector"}),
        "academie",
        "monitoring is not for this role",
    ),
    # The notice to the student and the family (names, the week's reasons): the watch unit
    # of the student's establishment of the day, which decided the invitation. Not the admin
    # (no student data), nor the académie-wide roles (pseudonymised reads only).
    Action.ISSUE_NOTICE: Rule(
        frozenset({WATCH_UNIT}),
        "student",
        "only the student's own watch unit may issue a notice",
    ),
    # The stop switch (one establishment's lists or every one's) and its history: admins.
    Action.SUSPEND: _STOP_SWITCH,
    Action.RESUME: _STOP_SWITCH,
    Action.READ_SUSPENSIONS: _STOP_SWITCH,
    # The retention rule (`vigie purge`): admins (the local operator).
    Action.PURGE: Rule(_ADMINS, "academie", "only admins purge personal data"),
    # What the interviews achieve (counts per establishment and solution, small cells
    # masked, no student): the inspectors for the académie, a watch unit for its own
    # establishments.
    Action.READ_INTERVIEW_OUTCOMES: Rule(
        frozenset({WATCH_UNIT, "inspector"}),
        "establishment",
        "interview outcome reports are not for this role",
        out_of_scope="this establishment's interview outcomes are not in your scope",
    ),
    # The solutions a student is eligible for (facts of the extraction, no name): as the
    # student's record. How often choices followed them (aggregates): the académie-wide roles.
    Action.READ_SOLUTIONS: _STUDENT,
    Action.READ_SUGGESTION_FOLLOWED: Rule(
        ACADEMIE_WIDE, "academie", "the suggestions' follow-up is not for this role"
    ),
    # The students who left the establishments of a bassin without a solution, with names,
    # and the contacts the MLDS records with them (`serving.services.leavers`): the mlds
    # users of the establishment the student left (checked per student inside).
    Action.READ_LEAVERS: Rule(
        frozenset({MLDS}),
        "establishment",
        "the students who left are for the MLDS only",
        out_of_scope="these establishments are not in your bassin",
    ),
    Action.RECORD_CONTACT: _CONTACT,
    Action.UPDATE_CONTACT: _CONTACT,
}


_Function = TypeVar("_Function", bound=Callable[..., object])
_ACTION_ATTRIBUTE = "policy_action"


def performs(action: Action) -> Callable[[_Function], _Function]:
    """Mark a service function with the action of the table it performs (the function
    itself is unchanged: it applies the rule through `serving.services.guard`). A test calls
    every marked function as every role and compares with the table; a service function
    left unmarked fails it."""

    def mark(function: _Function) -> _Function:
        setattr(function, _ACTION_ATTRIBUTE, action)
        return function

    return mark


def action_of(function: Callable[..., object]) -> Action | None:
    """The action `function` is marked with by `performs` (None: unmarked)."""
    return getattr(function, _ACTION_ATTRIBUTE, None)


@dataclass
class Refused(Exception):
    """Raised inside a transaction to refuse an action; `serving.services.audit.refusing`
    audits it and raises `AccessDenied`."""

    action: str
    message: str
    student_id: str | None = None
    uai: str | None = None


def audit_name(action: Action) -> str:
    """The action's name in the audit log."""
    return POLICY[action].audit or action.value


def allows(actor: Actor, action: Action, uai: str | None = None) -> bool:
    """Whether the table lets `actor` perform `action` (on establishment `uai`, for a scoped
    action; without `uai`, whether the role may perform it at all)."""
    rule = POLICY[action]
    if actor.role not in rule.roles:
        return False
    if uai is None or rule.scope == "academie" or actor.role not in SCOPED_ROLES:
        return True
    return uai in actor.establishments


def require(
    actor: Actor, action: Action, *, uai: str | None = None, student_id: str | None = None
) -> None:
    """Raise `Refused`, with the table's message, unless `allows`."""
    if not allows(actor, action, uai):
        rule = POLICY[action]
        in_role = actor.role in rule.roles
        message = rule.out_of_scope if in_role and rule.out_of_scope else rule.refusal
        raise Refused(audit_name(action), message, student_id=student_id, uai=uai)


def establishments_in_scope(actor: Actor) -> frozenset[str] | None:
    """The establishments whose students `actor` may read: its own for a scoped role (watch
    unit, mlds), None (every one) for the académie-wide roles, none for anyone else."""
    if actor.role in SCOPED_ROLES:
        return actor.establishments
    return None if actor.role in ACADEMIE_WIDE else frozenset()


def sees_whole_academie(actor: Actor) -> bool:
    """Inspectors and data scientists read every establishment's students (pseudonymised):
    to them, and only to them, an unknown student id may be told apart from one they may
    not read (a watch unit gets the same refusal for both)."""
    return actor.role in ACADEMIE_WIDE


def sees_names(actor: Actor, uai: str) -> bool:
    """Names: the watch unit or the MLDS of `uai`, the establishment the student is enrolled
    in on the day of the request (on a list: and the list's own establishment)."""
    return actor.role in SCOPED_ROLES and uai in actor.establishments


def sees_notes(actor: Actor, written_by_uai: str) -> bool:
    """Interview notes and dismissal reasons (free text, which may hold names): only the
    watch unit of the establishment that wrote them (`Interview.uai`, `Dismissal.uai`);
    never inspectors nor data scientists, nor the student's next school."""
    return actor.role == WATCH_UNIT and written_by_uai in actor.establishments
