"""The one service layer the API and the dashboard call. Every function takes the acting
user (`Actor`) and performs one action of the access policy (`policy.py`: roles and scope
per action), checked by the guard (`guard.py`) before any data is read; reads of a student's
record and every denial are written to the audit log; results are pydantic views, never ORM
rows."""

from serving.services.actor import Actor
from serving.services.audit_log import list_audit_log
from serving.services.errors import (
    AccessDenied,
    Conflict,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    ServiceError,
    Suspended,
)
from serving.services.inputs import InterviewChanges, NewDismissal, NewInterview
from serving.services.interviews import dismiss_student, record_interview, update_interview
from serving.services.lists import get_week_list
from serving.services.students import get_student_record
from serving.services.users import (
    NewUser,
    add_user,
    authenticate_password,
    authenticate_token,
    disable_user,
    enable_user,
    known_establishments,
    list_users,
    renew_token,
    reset_password,
)

__all__ = [
    "AccessDenied",
    "Actor",
    "Conflict",
    "InterviewChanges",
    "InvalidRequest",
    "NewDismissal",
    "NewInterview",
    "NewUser",
    "NotAuthenticated",
    "NotFound",
    "ServiceError",
    "Suspended",
    "add_user",
    "authenticate_password",
    "authenticate_token",
    "disable_user",
    "dismiss_student",
    "enable_user",
    "get_student_record",
    "get_week_list",
    "known_establishments",
    "list_audit_log",
    "list_users",
    "record_interview",
    "renew_token",
    "reset_password",
    "update_interview",
]
