"""The large name lists: derived from their sources as SOURCE.txt says, and loaded whole."""

from __future__ import annotations

from pathlib import Path

from connectors import names
from connectors.lexicons import derive_name_lists

# Lines in nam_dict.txt's layout: gender, name up to column 29, the '+' marker in column 29, then one
# frequency column a country (Great Britain first).
NAM_DICT = (
    "# a comment line\n"
    "M  Aled                       1                                                       $\n"
    "F  Käte                          4                                                     $\n"
    "F  Kaete                     +   4                                                     $\n"
    "M  Jun+Wei                                                                        4   $\n"
    "=  Al Albert                    1                                                     $\n"
)


class TestDerive:
    def test_nam_dict_gives_the_names_alone_without_expanded_spellings_or_compounds(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "nam_dict.txt"
        path.write_text(NAM_DICT, encoding="utf-8")
        assert derive_name_lists.nam_dict(path) == ["Aled", "Käte"]

    def test_census_names_are_title_cased(self, tmp_path: Path) -> None:
        path = tmp_path / "dist.all.last"
        path.write_text("SMITH          1.006  1.006      1\nMCDONALD       0.1    1.1        2\n", "ascii")
        assert derive_name_lists.census(path) == ["Smith", "Mcdonald"]

    def test_only_lower_case_words_are_ordinary(self, tmp_path: Path) -> None:
        path = tmp_path / "words"
        path.write_text("bell\nBell\nsultana\nLondon\nit's\n", "utf-8")
        assert derive_name_lists.ordinary_words(path) == {"bell", "sultana"}


class TestShippedLists:
    def test_the_lists_are_loaded_whole(self) -> None:
        assert len(names.GIVEN_KEYS) > 35_000 and len(names.SURNAME_KEYS) > 85_000
        assert len(names.ORDINARY_KEYS) > 60_000
        assert {"gwilym", "siobhan", "oluwaseun", "tomasz"} <= names.GIVEN_KEYS
        assert {"wisniewski", "odonoghue", "nwachukwu"} <= names.SURNAME_KEYS
