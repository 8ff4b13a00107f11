"""How well the text scorers agree with people: sentiment, hostility and PII redaction.

Run ``python -m connectors.evaluation --help``. The human-labelled corpora are read from a folder given
on the command line (by default ``data/evaluation``, copied into the repository with their SOURCE
notes and licences). The PII test set is generated here, seeded, and is what
``tests/unit/test_pii_recall.py`` runs through the social connector.
"""
