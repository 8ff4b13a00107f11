"""How well the text scorers agree with people: sentiment, hostility and PII redaction.

Run ``python -m connectors.evaluation --help``. The human-labelled corpora are read from a folder given
on the command line (by default ``../shared/data`` beside the repository); they are not part of the
repository, and no test needs them. The PII test set is generated here, seeded, and is what
``tests/unit/test_pii_recall.py`` runs through the social connector.
"""
