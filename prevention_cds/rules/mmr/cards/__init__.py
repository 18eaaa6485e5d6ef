"""The MMR cards, one module per kind: a dose to give (``dose``, with ``post_exposure``), contraindicated,
immunoglobulins, age uncertain after a contact, up to date, no birth date; ``parts`` holds what they share.

Each card cites the sources of the rule values it applies, through a ``Citations`` (``rules/citation.py``).
"""
