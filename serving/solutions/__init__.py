"""Suggested solutions in the service layer: a student's facts read from a week's
extraction (`extraction_facts`), the rules in use (`table`), the views the API and the
dashboard show (`views`) and how often choices followed suggestions (`followed`). The pure
engine and the rules are `models.solutions`; the services that read and record them are
`serving.services.solutions` and `serving.services.interviews`."""
