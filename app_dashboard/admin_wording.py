"""The labels of the administrator's "Utilisateurs" page, French first, merged into
`app_dashboard.wording.LABELS` (kept apart so that the page's words do not mix with the
other pages'; a key in both tables is an error at import)."""

from __future__ import annotations

__all__ = ["ADMIN_LABELS"]

ADMIN_LABELS: dict[str, tuple[str, str]] = {
    "section_admin": ("Administration", "Administration"),
    "page_admin_users": ("Utilisateurs", "Users"),
    "admin_users_intro": (
        "Les comptes du tableau de bord et de l'API : rôle, établissements, état. Chaque "
        "action est inscrite au journal d'audit à votre nom ; un mot de passe ou un jeton "
        "n'est affiché qu'une fois et n'est conservé que haché.",
        "The accounts of the dashboard and the API: role, establishments, status. Every "
        "action is written to the audit log in your name; a password or a token is shown "
        "once and kept only as a hash.",
    ),
    # the table of users
    "admin_col_username": ("Identifiant", "Login"),
    "admin_col_role": ("Rôle", "Role"),
    "admin_col_establishments": ("Établissements", "Establishments"),
    "admin_col_status": ("État", "Status"),
    "admin_col_password": ("Mot de passe", "Password"),
    "admin_col_token_expires": ("Jeton API valable jusqu'au", "API token valid until"),
    "admin_col_last_sign_in": ("Dernière connexion", "Last sign-in"),
    "admin_active": ("actif", "active"),
    "admin_disabled": ("désactivé", "disabled"),
    "admin_yes": ("oui", "yes"),
    "admin_no": ("non", "no"),
    "admin_whole_academie": ("toute l'académie", "the whole académie"),
    "admin_never": ("jamais", "never"),
    "admin_no_users": ("Aucun utilisateur.", "No user."),
    # creating a user
    "admin_create_title": ("Créer un utilisateur", "Create a user"),
    "admin_new_username": ("Identifiant (minuscules)", "Login (lowercase)"),
    "admin_new_role": ("Rôle", "Role"),
    "admin_new_establishments": (
        "Établissements (cellule de veille seulement)",
        "Establishments (watch unit only)",
    ),
    "admin_no_establishments": (
        "Aucun établissement connu : une cellule de veille se crée après la première liste "
        "hebdomadaire (ou en ligne de commande, `vigie users add`).",
        "No known establishment: a watch unit is created after the first weekly list (or "
        "from the command line, `vigie users add`).",
    ),
    "admin_new_password": (
        "Créer un mot de passe pour le tableau de bord (affiché une seule fois)",
        "Create a dashboard password (shown once)",
    ),
    "admin_token_days": ("Validité du jeton API (jours)", "API token lifetime (days)"),
    "admin_create": ("Créer", "Create"),
    "admin_created": ("Utilisateur {username} créé.", "User {username} created."),
    "admin_token_once": (
        "Jeton API de {username}, affiché une seule fois : copiez-le maintenant, il n'est "
        "conservé que haché.",
        "API token of {username}, shown once: copy it now, only its hash is kept.",
    ),
    "admin_password_once": (
        "Mot de passe de {username}, affiché une seule fois : transmettez-le par un canal sûr.",
        "Password of {username}, shown once: hand it over through a safe channel.",
    ),
    # managing a user
    "admin_manage_title": ("Gérer un utilisateur", "Manage a user"),
    "admin_pick_user": ("Utilisateur", "User"),
    "admin_state": (
        "{username} : {role}, {status}.",
        "{username}: {role}, {status}.",
    ),
    "admin_disable": ("Désactiver", "Disable"),
    "admin_enable": ("Réactiver", "Re-enable"),
    "admin_reset_password": ("Nouveau mot de passe", "New password"),
    "admin_renew_token": ("Nouveau jeton API", "New API token"),
    "admin_confirm": ("Confirmer", "Confirm"),
    "admin_confirm_disable": (
        "Désactiver {username} ? Son mot de passe et son jeton cessent de fonctionner "
        "immédiatement, ses sessions ouvertes sont fermées.",
        "Disable {username}? Their password and token stop working at once, their open "
        "sessions are closed.",
    ),
    "admin_confirm_password": (
        "Remplacer le mot de passe de {username} ? L'ancien cesse de fonctionner.",
        "Replace the password of {username}? The old one stops working.",
    ),
    "admin_confirm_token": (
        "Remplacer le jeton API de {username} ? L'ancien cesse de fonctionner.",
        "Replace the API token of {username}? The old one stops working.",
    ),
    "admin_disabled_done": ("{username} est désactivé.", "{username} is disabled."),
    "admin_enabled_done": ("{username} est réactivé.", "{username} is enabled again."),
    # recent sign-in failures
    "admin_failures_title": ("Échecs de connexion récents", "Recent sign-in failures"),
    "admin_failures_intro": (
        "Connexions au tableau de bord et authentifications à l'API refusées, d'après le "
        "journal d'audit : au-delà de quelques échecs, les tentatives sont ralenties puis "
        "bloquées et comptées en bloc. Pour l'API, l'identifiant essayé est l'identifiant "
        "public du jeton.",
        "Dashboard sign-ins and API authentications refused, from the audit log: past a few "
        "failures, attempts are slowed down, then locked, and counted together. For the "
        "API, the login tried is the token's public id.",
    ),
    "admin_failures_days": ("Période", "Period"),
    "admin_days": ("{days} derniers jours", "last {days} days"),
    "admin_failures_none": (
        "Aucun échec de connexion sur la période.",
        "No sign-in failure over the period.",
    ),
    "admin_col_last": ("Dernier", "Last"),
    "admin_col_first": ("Premier", "First"),
    "admin_col_channel": ("Accès", "Access"),
    "admin_col_kind": ("Type", "Kind"),
    "admin_col_login": ("Identifiant essayé", "Login tried"),
    "admin_col_source": ("Adresse", "Address"),
    "admin_col_count": ("Nombre", "Count"),
    "admin_channel_dashboard": ("tableau de bord", "dashboard"),
    "admin_channel_api": ("API", "API"),
    "admin_kind_failed": ("échec", "failure"),
    "admin_kind_locked": ("blocage", "lock"),
    "admin_kind_throttled": ("refusé pendant le ralentissement", "refused while throttled"),
    "admin_unknown": ("inconnu", "unknown"),
    # the stop switch (app_dashboard.stop_switch)
    "stop_title": ("Suspension des listes", "Suspending the lists"),
    "stop_intro": (
        "Suspendre les listes d'un établissement, ou de toute l'académie, les retire aussitôt "
        "de l'API et du tableau de bord ; le calcul hebdomadaire continue et les enregistre, "
        "et la reprise les rend de nouveau visibles. Chaque suspension et chaque reprise est "
        "inscrite au journal d'audit à votre nom, avec sa raison.",
        "Suspending the lists of one establishment, or of the whole académie, withdraws them "
        "from the API and the dashboard at once; the weekly run goes on and stores them, and "
        "resuming makes them visible again. Every suspension and every resumption is written "
        "to the audit log in your name, with its reason.",
    ),
    "stop_scope": ("Établissement", "Establishment"),
    "stop_all": ("Toute l'académie", "The whole académie"),
    "stop_reason": ("Raison (obligatoire)", "Reason (required)"),
    "stop_suspend": ("Suspendre", "Suspend"),
    "stop_resume": ("Reprendre", "Resume"),
    "stop_suspended_done": ("Listes suspendues : {scope}.", "Lists suspended: {scope}."),
    "stop_resumed_done": ("Listes reprises : {scope}.", "Lists resumed: {scope}."),
    "stop_none": ("Aucune suspension.", "No suspension."),
    "stop_col_scope": ("Établissement", "Establishment"),
    "stop_col_state": ("État", "State"),
    "stop_col_reason": ("Raison", "Reason"),
    "stop_col_by": ("Par", "By"),
    "stop_col_at": ("Depuis", "Since"),
    "stop_col_resumed": ("Reprise", "Resumed"),
    "stop_col_resume_reason": ("Raison de la reprise", "Reason for resuming"),
    "stop_active": ("suspendu", "suspended"),
    "stop_lifted": ("repris", "resumed"),
}
