from __future__ import annotations

import pytest

from connectors.classify import classify, matches
from events import Theme


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Drug dealing outside the station every night", Theme.DRUGS),
        ("Two burglaries on Leighton Road this week", Theme.BURGLARY),
        ("Cars speeding down Prince of Wales Road", Theme.ROAD_SAFETY),
        ("Someone fly-tipped a mattress in the alley", Theme.ENVIRONMENT),
        ("Racist abuse shouted at a family", Theme.HATE),
        ("Youths on mopeds snatching phones", Theme.VEHICLE_CRIME),
        ("Loud music from the flat above until 4am", Theme.NOISE),
        ("The bus was late again", Theme.OTHER),
        ("", Theme.OTHER),
    ],
)
def test_classify_names_the_theme_a_reader_would(text: str, theme: Theme) -> None:
    assert classify(text) is theme


def test_prefix_keywords_match_inflections_but_not_inside_other_words() -> None:
    assert matches("burglaries and a burglar") == {Theme.BURGLARY: 2}
    # "crack" is a drugs keyword; "crackers" is not a match for it, and "speedy" is a prefix hit.
    assert Theme.DRUGS not in matches("we ate crackers")


def test_more_hits_win_over_list_order() -> None:
    assert classify("noise, loud music, a party and some litter") is Theme.NOISE
